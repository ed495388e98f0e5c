fn hwm() -> String {
    std::fs::read_to_string("/proc/self/status").unwrap().lines().filter(|l| l.starts_with("VmHWM") || l.starts_with("VmRSS")).collect::<Vec<_>>().join(" ")
}
#[test]
fn probe() {
    let file = std::env::var("PROBE").unwrap();
    let stage = std::env::var("STAGE").unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let t = std::time::Instant::now();
    match stage.as_str() {
        "yaml" => {
            let options = marked_yaml::LoaderOptions::default().error_on_duplicate_keys(true).toplevel_mapping().prevent_coercion(true);
            let root = marked_yaml::parse_yaml_with_options(0, &text, options).unwrap();
            eprintln!("after parse {:?} {}", t.elapsed(), hwm());
            drop(root);
        }
        "scan" => {
            let _ = scratchkit::spec::scan::scan(&text);
        }
        "load" => {
            let spec = scratchkit::spec::load(&text);
            eprintln!("after load {:?} {} ok={}", t.elapsed(), hwm(), spec.is_ok());
        }
        _ => {
            let r = scratchkit::compile::compile(&text, "x", &Default::default());
            eprintln!("after compile {:?} {} ok={}", t.elapsed(), hwm(), r.is_ok());
        }
    }
    eprintln!("end {:?} {}", t.elapsed(), hwm());
}
