// SPDX-License-Identifier: GPL-2.0-only OR MIT
//! What every vector script shares: comment and blank-line rules, numbers, and errors that name the line.

use std::path::PathBuf;

/// A syntax error in a script, with its 1-based line number.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {msg}")]
pub struct ParseError {
    /// 1-based line number in the script.
    pub line: usize,
    /// What is wrong with it.
    pub msg: String,
}

/// Why a replay could not produce a transcript.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The script could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The script's path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The script is malformed.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// The environment the replay needs (RAM, a page table) could not be set up.
    #[error("setting up the replay: {0}")]
    Setup(String),
}

/// One command line of a script: its 1-based number and its whitespace-separated words.
#[derive(Debug)]
pub struct Line<'a> {
    /// 1-based line number in the script.
    pub no: usize,
    /// The words of the line; never empty.
    pub words: Vec<&'a str>,
}

impl Line<'_> {
    /// An error about this line.
    pub fn error(&self, msg: impl Into<String>) -> ParseError {
        ParseError {
            line: self.no,
            msg: msg.into(),
        }
    }

    /// Checks that the line has exactly `n` arguments after the command word.
    pub fn expect_args(&self, n: usize) -> Result<(), ParseError> {
        if self.words.len() != n + 1 {
            return Err(self.error(format!(
                "`{}` takes {n} argument(s), got {}",
                self.words[0],
                self.words.len() - 1
            )));
        }
        Ok(())
    }

    /// Argument `i` (0-based, after the command word) as a number.
    pub fn num(&self, i: usize) -> Result<u64, ParseError> {
        parse_num(self.words[i + 1])
            .ok_or_else(|| self.error(format!("`{}` is not a number", self.words[i + 1])))
    }
}

/// The command lines of `src`: lines that are blank or start with `#` are skipped (and never echoed).
pub fn command_lines(src: &str) -> impl Iterator<Item = Line<'_>> {
    src.lines().enumerate().filter_map(|(i, l)| {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            None
        } else {
            Some(Line {
                no: i + 1,
                words: l.split_whitespace().collect(),
            })
        }
    })
}

/// Parses `0x`-prefixed hexadecimal or plain decimal.
pub fn parse_num(tok: &str) -> Option<u64> {
    match tok.strip_prefix("0x").or_else(|| tok.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => tok.parse().ok(),
    }
}

/// Reads a script file.
pub fn read(path: &std::path::Path) -> Result<String, ReplayError> {
    std::fs::read_to_string(path).map_err(|source| ReplayError::Io {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_and_blank_lines_are_skipped_with_line_numbers_kept() {
        let src = "# head\n\ninfo\n  map 0x1 2 rw \n";
        let lines: Vec<_> = command_lines(src).collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].no, 3);
        assert_eq!(lines[1].words, ["map", "0x1", "2", "rw"]);
    }

    #[test]
    fn numbers_are_hex_or_decimal() {
        assert_eq!(parse_num("0x1f"), Some(31));
        assert_eq!(parse_num("31"), Some(31));
        assert_eq!(parse_num("0"), Some(0));
        assert_eq!(parse_num("0xg"), None);
        assert_eq!(parse_num("-1"), None);
        assert_eq!(parse_num("0x10000000000000000"), None);
    }
}
