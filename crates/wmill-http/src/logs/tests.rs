use super::*;

fn wire(new_logs: Option<&str>, log_offset: Option<i64>) -> WireUpdate {
    WireUpdate {
        kind: None,
        completed: None,
        new_logs: new_logs.map(str::to_owned),
        log_offset,
    }
}

#[test]
fn offsets_are_the_servers() {
    // From the start: "é\n" is 2 characters, so the next offset is 3 (not 4 = bytes + 1).
    let u = to_update(wire(Some("é\n"), Some(3)), 0);
    assert_eq!(
        (u.new_logs.as_str(), u.next_offset, u.skipped),
        ("é\n", 3, 0)
    );
    let u = to_update(wire(Some("ab"), Some(5)), 3);
    assert_eq!((u.next_offset, u.skipped), (5, 0));
    // Nothing new: the server's offset (or the one sent, when the job has no log yet).
    let u = to_update(wire(None, Some(5)), 5);
    assert_eq!((u.next_offset, u.new_logs.as_str()), (5, ""));
    let u = to_update(wire(None, None), 0);
    assert_eq!(u.next_offset, 0);
    // The text starts after the offset sent: what lies between was moved to log files.
    let u = to_update(wire(Some("xyz"), Some(104)), 3);
    assert_eq!((u.next_offset, u.skipped), (104, 98));
    // No offset in the answer: counted in characters after the offset sent.
    let u = to_update(wire(Some("→→"), None), 0);
    assert_eq!(u.next_offset, 3);
    let u = to_update(wire(Some("a"), Some(-4)), 7);
    assert_eq!(u.next_offset, 8);
}

#[test]
fn the_ansi_hint_line_is_dropped() {
    let hint = "to remove ansi colors, use: | sed 's/\\x1B\\[[0-9;]\\{1,\\}[A-Za-z]//g'\n";
    assert_eq!(without_ansi_warning(format!("{hint}log\n")), "log\n");
    assert_eq!(without_ansi_warning(hint.trim_end().to_owned()), "");
    assert_eq!(without_ansi_warning("log\n".into()), "log\n");
}
