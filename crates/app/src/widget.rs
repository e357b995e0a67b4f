//! The widget catalogue: which widget types exist and which properties each takes.
//!
//! The catalogue is written once, in `schema/widgets.json`, which the viewer, the editor and
//! docs/app-format.md read too; `build.rs` checks it and generates the [`WidgetType`] enum and
//! its tables, included below. What is written here by hand is the closed set of property
//! kinds (each needs its own check in the validator) and the lookups over the tables.

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

include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

impl WidgetType {
    /// The type's name as apps write it (`Input`).
    pub fn as_str(self) -> &'static str {
        TYPE_NAMES[self as usize]
    }

    pub fn parse(s: &str) -> Option<WidgetType> {
        WidgetType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether the widget lays out children on its own grid.
    pub fn is_container(self) -> bool {
        CONTAINERS[self as usize]
    }

    /// The properties this widget type takes, in the catalogue's order.
    pub fn props(self) -> &'static [(&'static str, PropKind)] {
        PROPS[self as usize]
    }

    pub fn prop(self, name: &str) -> Option<PropKind> {
        self.props()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| *k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_tables_agree_with_each_other() {
        for (i, t) in WidgetType::ALL.into_iter().enumerate() {
            assert_eq!(t as usize, i);
            assert_eq!(WidgetType::parse(t.as_str()), Some(t));
            let json = serde_json::to_value(t).unwrap();
            assert_eq!(json, t.as_str(), "serde and as_str spell {t:?} alike");
        }
        assert_eq!(WidgetType::parse("input"), None);
        assert_eq!(CATALOGUE_GRID_COLUMNS, crate::model::GRID_COLUMNS);
    }

    #[test]
    fn the_guides_widgets_have_their_properties() {
        assert!(WidgetType::Form.is_container());
        assert!(!WidgetType::Input.is_container());
        assert_eq!(
            WidgetType::Input.prop("inputType"),
            Some(PropKind::Choice(&["TEXT", "EMAIL", "PASSWORD", "NUMBER"]))
        );
        assert_eq!(WidgetType::Button.prop("onClick"), Some(PropKind::Event));
        assert_eq!(WidgetType::Text.prop("onClick"), None);
    }
}
