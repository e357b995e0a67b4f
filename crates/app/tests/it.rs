//! Whole-folder tests: the example app, round trips, the viewer JSON.

use std::path::{Path, PathBuf};

use lowkey_app::App;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/custom-auth")
}

#[test]
fn the_example_app_validates_cleanly() {
    let (app, diagnostics) = App::load(&example());
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let app = app.unwrap();
    assert_eq!(app.slug, "custom-auth");
    println!(
        "{}",
        serde_json::to_string_pretty(&lowkey_app::viewer_json(&app)).unwrap()
    );
    println!("{:#?}", app.to_files().unwrap());
}
