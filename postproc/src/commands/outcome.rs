//! How a command ended, and the exit statuses `main` turns that into: one table, which `--help`
//! prints, so the text and the code cannot drift apart.

/// How a command ended, as the exit status documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Every capture was read.
    Success,
    /// Some file could not be read, or no capture was found; the others were reported.
    SomeFilesFailed,
    /// Stopped by Ctrl-C after writing complete rows only.
    Interrupted,
}

/// Every exit status tcpwave ends with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    SomeFilesFailed,
    /// A usage or environment error, before any capture is read.
    Fatal,
    Interrupted,
}

impl ExitStatus {
    pub const ALL: [ExitStatus; 4] = [
        ExitStatus::Success,
        ExitStatus::SomeFilesFailed,
        ExitStatus::Fatal,
        ExitStatus::Interrupted,
    ];

    pub const fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::SomeFilesFailed => 1,
            ExitStatus::Fatal => 2,
            // 128 + SIGINT, as shells report a program Ctrl-C ended.
            ExitStatus::Interrupted => 130,
        }
    }

    pub const fn meaning(self) -> &'static str {
        match self {
            ExitStatus::Success => "every capture was read",
            ExitStatus::SomeFilesFailed => {
                "some file could not be read or is not a capture (the others are still \
                 reported), or no capture was found"
            }
            ExitStatus::Fatal => {
                "usage or environment error, before any capture is read (a bad option, no \
                 tshark, a wrong version, the plugin not loaded, when tshark is needed)"
            }
            ExitStatus::Interrupted => "stopped by Ctrl-C (the rows already written are whole)",
        }
    }
}

impl From<Outcome> for ExitStatus {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Success => ExitStatus::Success,
            Outcome::SomeFilesFailed => ExitStatus::SomeFilesFailed,
            Outcome::Interrupted => ExitStatus::Interrupted,
        }
    }
}

/// The `Exit status:` paragraph of `--help`, wrapped to fit 80 columns (clap would wrap it
/// without the indent).
pub fn exit_status_help() -> String {
    const INDENT: usize = 7;
    const WIDTH: usize = 79;
    let mut text = "Exit status:".to_owned();
    for status in ExitStatus::ALL {
        let mut line = format!("  {:<width$}", status.code(), width = INDENT - 2);
        for word in status.meaning().split(' ') {
            if line.len() + word.len() + 1 > WIDTH && line.len() > INDENT {
                text += &format!("\n{}", line.trim_end());
                line = " ".repeat(INDENT);
            } else if line.len() > INDENT {
                line.push(' ');
            }
            line += word;
        }
        text += &format!("\n{line}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_is_documented_on_lines_that_fit() {
        let help = exit_status_help();
        for status in ExitStatus::ALL {
            let first_word = status.meaning().split(' ').next().unwrap();
            assert!(
                help.contains(&format!("  {:<5}{first_word}", status.code())),
                "{help}"
            );
        }
        assert!(help.lines().all(|line| line.len() <= 79), "{help}");
    }
}
