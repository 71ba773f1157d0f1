//! Checking a file before `tcpwave install` copies it into a plugin folder: Wireshark tries to
//! load every `.so` there, and prints "Couldn't load plugin" on every run for one it cannot, so
//! only a tcpwave plugin built for the targeted release goes in.

use object::{BinaryFormat, Object, ObjectKind, ObjectSection, ObjectSymbol};

/// The symbols Wireshark's plugin loader looks up in every plugin.
const WIRESHARK_SYMBOLS: [&str; 4] = [
    "plugin_version",
    "plugin_want_major",
    "plugin_want_minor",
    "plugin_register",
];

/// A field name only tcpwave registers (NUL-terminated, as the plugin stores it for C).
const TCPWAVE_MARK: &[u8] = b"tcpwave.handshake.step\0";

/// What a valid plugin file says about itself.
#[derive(Debug, PartialEq, Eq)]
pub struct PluginFile {
    pub version: String,
    /// The Wireshark major.minor release it loads into.
    pub wants: (u32, u32),
}

/// Checks that `bytes` are a tcpwave plugin built for Wireshark `release` (major, minor); the
/// error says what the file is instead.
pub fn check_plugin(bytes: &[u8], release: (u32, u32)) -> Result<PluginFile, String> {
    let file = object::File::parse(bytes)
        .ok()
        .filter(|file| file.format() == BinaryFormat::Elf)
        .ok_or("not a shared library (not an ELF file)")?;
    // A position-independent executable is a shared object to ELF (libc is both): the plugin
    // symbols below tell them apart.
    if file.kind() != ObjectKind::Dynamic {
        return Err("an ELF file but not a shared library".to_owned());
    }
    let missing: Vec<&str> = WIRESHARK_SYMBOLS
        .into_iter()
        .filter(|name| exported(&file, name).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "a shared library but not a Wireshark plugin (it does not export {})",
            missing.join(", ")
        ));
    }
    let is_tcpwave = file.sections().any(|section| {
        section
            .data()
            .is_ok_and(|data| data.windows(TCPWAVE_MARK.len()).any(|w| w == TCPWAVE_MARK))
    });
    if !is_tcpwave {
        return Err("a Wireshark plugin, but not tcpwave".to_owned());
    }
    let number = |name: &str| -> Result<u32, String> {
        let bytes = exported_bytes(&file, name, 4)
            .ok_or_else(|| format!("a tcpwave plugin whose {name} cannot be read"))?;
        let bytes: [u8; 4] = bytes.try_into().expect("four bytes");
        Ok(if file.is_little_endian() {
            u32::from_le_bytes(bytes)
        } else {
            u32::from_be_bytes(bytes)
        })
    };
    let wants = (number("plugin_want_major")?, number("plugin_want_minor")?);
    let version_bytes = exported_bytes(&file, "plugin_version", 0).unwrap_or_default();
    let version_end = version_bytes
        .iter()
        .position(|&byte| byte == 0)
        .unwrap_or(version_bytes.len());
    let version = String::from_utf8_lossy(&version_bytes[..version_end]).into_owned();
    if wants != release {
        return Err(format!(
            "tcpwave {version} built for Wireshark {}.{}, not {}.{}",
            wants.0, wants.1, release.0, release.1
        ));
    }
    Ok(PluginFile { version, wants })
}

fn exported<'data, 'file>(
    file: &'file object::File<'data>,
    name: &str,
) -> Option<object::Symbol<'data, 'file>> {
    file.dynamic_symbols()
        .find(|symbol| symbol.is_definition() && symbol.name() == Ok(name))
}

/// The bytes of the exported object `name`: `size` of them, or its whole size when 0.
fn exported_bytes<'data>(file: &object::File<'data>, name: &str, size: u64) -> Option<&'data [u8]> {
    let symbol = exported(file, name)?;
    let section = file.section_by_index(symbol.section_index()?).ok()?;
    let size = if size == 0 { symbol.size() } else { size };
    section.data_range(symbol.address(), size).ok()?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_not_a_library() {
        assert_eq!(
            check_plugin(b"not really a library", (4, 0)),
            Err("not a shared library (not an ELF file)".to_owned())
        );
        assert_eq!(
            check_plugin(b"", (4, 0)),
            Err("not a shared library (not an ELF file)".to_owned())
        );
    }
}
