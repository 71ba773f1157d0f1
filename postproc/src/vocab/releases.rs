//! The Wireshark releases tcpwave supports, read from the one list the build, the scripts and
//! this program share (`wireshark-headers/releases.tsv`). A plugin loads only into the
//! major.minor release it was built for.

const RELEASES_TSV: &str = include_str!("../../../wireshark-headers/releases.tsv");

/// `(major, minor)` of every supported release, oldest first.
pub fn supported() -> Vec<(u32, u32)> {
    RELEASES_TSV
        .lines()
        .skip(1)
        .filter_map(|line| {
            let (major, minor) = line.split('\t').next()?.split_once('.')?;
            Some((major.parse().ok()?, minor.parse().ok()?))
        })
        .collect()
}

/// `4.0, 4.2, 4.4 and 4.6` (with `conjunction` "and"), or `... or 4.6`.
pub fn listed(conjunction: &str) -> String {
    let names: Vec<String> = supported()
        .iter()
        .map(|(major, minor)| format!("{major}.{minor}"))
        .collect();
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("{} {conjunction} {last}", rest.join(", "))
        }
        _ => names.concat(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_starts_at_debian_12s_release() {
        let releases = supported();
        assert_eq!(releases.first(), Some(&(4, 0)));
        assert!(releases.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(listed("and").starts_with("4.0, 4.2"));
    }
}
