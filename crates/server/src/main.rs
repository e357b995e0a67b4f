fn main() -> std::process::ExitCode {
    lowkey_server::cli::run()
}
