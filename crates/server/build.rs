// rust-embed needs the folder it embeds to exist; create an empty one when the web build
// has not run, so `cargo build` alone still works (the viewer then explains what to do).
fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    if !dist.exists() {
        let _ = std::fs::create_dir_all(&dist);
    }
    println!("cargo:rerun-if-changed=../../web/dist");
}
