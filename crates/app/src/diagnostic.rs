//! Located problems found in an app folder.

use std::fmt;

/// A position in a source file. Lines and columns count from 1; `0` means "the file as a whole"
/// (for problems such as a missing file, which have no better place to point at).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    /// The file as a whole.
    pub const FILE: Pos = Pos { line: 0, column: 0 };

    pub const fn new(line: u32, column: u32) -> Self {
        Pos { line, column }
    }
}

/// One problem, with the file (relative to the app folder, `/`-separated) and the position of
/// the offending node. Messages are plain sentences meant for the app's author.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl Diagnostic {
    pub fn new(file: impl Into<String>, pos: Pos, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.into(),
            line: pos.line,
            column: pos.column,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:column: message`, the form compilers use, so editors can jump to it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}
