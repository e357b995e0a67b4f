//! The widget catalogue: which properties each widget type takes (docs/app-format.md).

use crate::model::WidgetType;

/// What a property accepts (a `{{ }}` binding is accepted wherever a value is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropKind {
    /// Text, possibly with bindings; a number or boolean is accepted as its text.
    Text,
    /// `true` / `false`.
    Bool,
    /// A non-negative integer.
    Count,
    /// One of the listed words.
    Choice(&'static [&'static str]),
    /// Code in `{{ }}` run when the event fires.
    Event,
    /// Any value (an array of rows, for instance).
    Data,
    /// A list of `{key, label}` maps.
    Columns,
}

pub const INPUT_TYPES: &[&str] = &["TEXT", "EMAIL", "PASSWORD", "NUMBER"];

const FORM: &[(&str, PropKind)] = &[("title", PropKind::Text), ("isVisible", PropKind::Bool)];
const CONTAINER: &[(&str, PropKind)] = &[("isVisible", PropKind::Bool)];
const INPUT: &[(&str, PropKind)] = &[
    ("inputType", PropKind::Choice(INPUT_TYPES)),
    ("label", PropKind::Text),
    ("placeholderText", PropKind::Text),
    ("defaultText", PropKind::Text),
    ("isRequired", PropKind::Bool),
    ("maxChars", PropKind::Count),
    ("regex", PropKind::Text),
    ("validation", PropKind::Bool),
    ("errorMessage", PropKind::Text),
    ("isDisabled", PropKind::Bool),
    ("isVisible", PropKind::Bool),
    ("onTextChanged", PropKind::Event),
    ("onSubmit", PropKind::Event),
];
const BUTTON: &[(&str, PropKind)] = &[
    ("text", PropKind::Text),
    ("onClick", PropKind::Event),
    ("isDisabled", PropKind::Bool),
    ("isVisible", PropKind::Bool),
    ("disabledWhenInvalid", PropKind::Bool),
    ("resetFormOnClick", PropKind::Bool),
];
const TEXT: &[(&str, PropKind)] = &[("text", PropKind::Text), ("isVisible", PropKind::Bool)];
const TABLE: &[(&str, PropKind)] = &[
    ("tableData", PropKind::Data),
    ("columns", PropKind::Columns),
    ("isVisible", PropKind::Bool),
];

impl WidgetType {
    pub const ALL: [WidgetType; 6] = [
        WidgetType::Form,
        WidgetType::Container,
        WidgetType::Input,
        WidgetType::Button,
        WidgetType::Text,
        WidgetType::Table,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WidgetType::Form => "Form",
            WidgetType::Container => "Container",
            WidgetType::Input => "Input",
            WidgetType::Button => "Button",
            WidgetType::Text => "Text",
            WidgetType::Table => "Table",
        }
    }

    pub fn parse(s: &str) -> Option<WidgetType> {
        WidgetType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether the widget lays out children on its own grid.
    pub fn is_container(self) -> bool {
        matches!(self, WidgetType::Form | WidgetType::Container)
    }

    /// The properties this widget type takes.
    pub fn props(self) -> &'static [(&'static str, PropKind)] {
        match self {
            WidgetType::Form => FORM,
            WidgetType::Container => CONTAINER,
            WidgetType::Input => INPUT,
            WidgetType::Button => BUTTON,
            WidgetType::Text => TEXT,
            WidgetType::Table => TABLE,
        }
    }

    pub fn prop(self, name: &str) -> Option<PropKind> {
        self.props()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| *k)
    }
}
