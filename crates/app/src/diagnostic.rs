//! Located problems found in an app folder: in a file (line and column), and in the model
//! (page, widget, property) for the builder, who never sees the files.

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

/// Where in the app's model a problem lies, as a builder sees the app: the page, the widget
/// and the widget's property the loader was checking when it found the problem. Each is `None`
/// outside such a thing (a problem of `app.yaml`, a query or a JS object has no page).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location {
    pub page: Option<String>,
    pub widget: Option<String>,
    /// A property of the widget (`text`, `onClick`, …), or `name` for its name.
    pub property: Option<String>,
}

/// A [`Diagnostic`] with its [`Location`] in the model: what the builder's API reports.
///
/// Why not fields of `Diagnostic`: a diagnostic is built by a struct literal in more than one
/// module of this crate, and a separate type lets the location be added without touching
/// them; the two are sorted and deduplicated together.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Problem {
    pub diagnostic: Diagnostic,
    pub location: Location,
}

impl fmt::Display for Problem {
    /// As the diagnostic: the location is for tools, the file position for people.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diagnostic.fmt(f)
    }
}
