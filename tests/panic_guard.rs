//! A panic inside the plugin never reaches Wireshark: the test-only hook `TCPWAVE_TEST_PANIC_FRAME`
//! makes the dissector panic on one frame, which must get the `internal_error` expert info while
//! tshark goes on and labels the frames after it.

use std::path::PathBuf;

use tcpwave_tests::{fields_args, kernel_capture, parse_fields, PrivateTshark};

const PANIC_FRAME: &str = "3";

fn client_closes_first() -> PathBuf {
    kernel_capture("client_closes_first.pcap")
}

#[test]
fn a_panic_becomes_an_expert_error_on_its_frame_and_later_frames_are_still_labelled() {
    let tshark = PrivateTshark::with_plugin();
    let capture = tshark.readable_copy(&client_closes_first());
    let fields = [
        "frame.number",
        "tcpwave.expert.internal_error",
        "_ws.expert.message",
        "tcpwave.step",
    ];
    for passes in [&[][..], &["-2"][..]] {
        let mut args = vec!["-r".to_string(), capture.to_string_lossy().into_owned()];
        args.extend(passes.iter().map(|option| option.to_string()));
        args.extend(fields_args(&fields));
        let run = tshark.run_with(&[("TCPWAVE_TEST_PANIC_FRAME", PANIC_FRAME)], &[], &args);
        assert!(
            run.status.is_some_and(|status| status.success()),
            "tshark {passes:?} with a panicking plugin: {}, stderr:\n{}",
            run.outcome(),
            run.stderr
        );
        let rows = parse_fields(&run.stdout, fields.len());
        let row = |frame: &str| {
            rows.iter().find(|row| row[0] == frame).unwrap_or_else(|| {
                panic!(
                    "tshark {passes:?} printed no frame {frame}:\n{}",
                    run.stdout
                )
            })
        };
        let errors: Vec<&str> = rows
            .iter()
            .filter(|row| !row[1].is_empty())
            .map(|row| row[0].as_str())
            .collect();
        assert_eq!(
            errors,
            [PANIC_FRAME],
            "tshark {passes:?}: frames with an internal error"
        );
        let panicked = row(PANIC_FRAME);
        assert!(
            panicked[2].contains("panic requested by TCPWAVE_TEST_PANIC_FRAME"),
            "tshark {passes:?}: frame {PANIC_FRAME}'s expert message does not say what panicked: {:?}",
            panicked[2]
        );
        // The teardown of the README's worked example, after the panic.
        assert_eq!(row("9")[3], "2,3", "tshark {passes:?}: frame 9's steps");
        assert_eq!(row("10")[3], "4", "tshark {passes:?}: frame 10's steps");
    }
}

#[test]
fn without_the_hook_no_frame_has_an_internal_error() {
    let tshark = PrivateTshark::with_plugin();
    let capture = tshark.readable_copy(&client_closes_first());
    let rows = tshark.fields(
        &capture,
        &["-Y", "tcpwave.expert.internal_error"],
        &["frame.number"],
    );
    assert!(
        rows.is_empty(),
        "internal errors without the panic hook on frames {rows:?}"
    );
}
