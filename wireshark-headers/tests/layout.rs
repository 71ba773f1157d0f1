// SPDX-License-Identifier: GPL-2.0-or-later
//! Checks include/wireshark-X.Y.h, for the version this build is for, against
//! the real Wireshark headers of that version: every struct size, member
//! offset and width, and constant it declares must equal the fact
//! probe/layout_probe.c compiled from the real headers (for prefix structs the
//! declared size may be smaller), and every function it declares must have the
//! real signature (probe/signatures.c). Without those headers it says why.
//!
//! Runs without the test harness so that its summary is always shown.

use wireshark_headers::{WIRESHARK_MAJOR, WIRESHARK_MINOR};

#[cfg(not(real_headers))]
fn main() {
    eprintln!(
        "layout: skipped for Wireshark {WIRESHARK_MAJOR}.{WIRESHARK_MINOR}: {}",
        env!("TCPWAVE_LAYOUT_SKIPPED")
    );
}

#[cfg(real_headers)]
fn main() {
    let headers = env!("TCPWAVE_LAYOUT_HEADERS");
    let mut failed = false;
    match real_headers::compare() {
        Ok(checked) => println!(
            "layout: Wireshark {WIRESHARK_MAJOR}.{WIRESHARK_MINOR}: {checked} sizes, offsets, widths \
             and constants match the real headers in {headers}"
        ),
        Err(failures) => {
            eprintln!(
                "include/wireshark-{WIRESHARK_MAJOR}.{WIRESHARK_MINOR}.h drifted from the real \
                 headers in {headers}:"
            );
            for failure in &failures {
                eprintln!("  {failure}");
            }
            failed = true;
        }
    }
    let mismatches = include_str!(concat!(env!("OUT_DIR"), "/signature_mismatches.txt"));
    if mismatches.is_empty() {
        println!("layout: every declared function has the signature of the real headers");
    } else {
        eprintln!(
            "include/wireshark-{WIRESHARK_MAJOR}.{WIRESHARK_MINOR}.h declares functions unlike \
             the real headers:\n{mismatches}"
        );
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
}

#[cfg(real_headers)]
mod real_headers {
    use std::collections::BTreeMap;
    use std::ffi::{c_char, c_longlong, CStr};
    use std::mem::{offset_of, size_of};

    use wireshark_headers::*;

    #[repr(C)]
    struct RealFact {
        name: *const c_char,
        value: c_longlong,
        /// sizeof a struct member; 0 for sizes and constants.
        width: c_longlong,
    }

    extern "C" {
        /// Defined in probe/layout_probe.c.
        fn tcpwave_layout_facts(count: *mut usize) -> *const RealFact;
    }

    fn real_facts() -> BTreeMap<String, (i64, i64)> {
        let mut count = 0;
        // SAFETY: the probe returns a static array of `count` entries whose
        // names are NUL-terminated string literals.
        let facts = unsafe { std::slice::from_raw_parts(tcpwave_layout_facts(&mut count), count) };
        facts
            .iter()
            .map(|fact| {
                // SAFETY: see above.
                let name = unsafe { CStr::from_ptr(fact.name) };
                (name.to_str().unwrap().to_owned(), (fact.value, fact.width))
            })
            .collect()
    }

    enum Rule {
        Equal,
        /// A prefix declaration may be smaller than the real struct.
        AtMost,
    }

    impl Rule {
        fn holds(&self, declared: i64, real: i64) -> bool {
            match self {
                Rule::Equal => declared == real,
                Rule::AtMost => declared <= real,
            }
        }
    }

    struct Declared {
        name: String,
        value: i64,
        rule: Rule,
        /// Size of a struct member; 0 for sizes and constants.
        width: i64,
        width_rule: Rule,
    }

    fn declared(name: &str, value: impl TryInto<i64>, rule: Rule) -> Declared {
        let value = value
            .try_into()
            .unwrap_or_else(|_| panic!("{name} does not fit in i64"));
        Declared {
            name: name.to_owned(),
            value,
            rule,
            width: 0,
            width_rule: Rule::Equal,
        }
    }

    /// The size of the member `member` picks out of a `T`.
    fn width_of<T, M>(_member: fn(&T) -> &M) -> i64 {
        size_of::<M>().try_into().unwrap()
    }

    /// Size of a struct declared with all its members.
    macro_rules! size {
        ($type:ident) => {
            declared(
                concat!("sizeof ", stringify!($type)),
                size_of::<$type>(),
                Rule::Equal,
            )
        };
    }

    /// Size of a struct declared only up to the last member the plugin uses.
    macro_rules! prefix_size {
        ($type:ident) => {
            declared(
                concat!("sizeof ", stringify!($type)),
                size_of::<$type>(),
                Rule::AtMost,
            )
        };
    }

    /// Offset and width of a member; `rust_name => "c_name"` where bindgen
    /// renamed it.
    macro_rules! member {
        ($type:ident, $member:ident) => {
            member!($type, $member => stringify!($member))
        };
        ($type:ident, $member:ident => $c_member:expr) => {
            Declared {
                width: width_of(|s: &$type| &s.$member),
                ..declared(
                    &format!("{}.{}", stringify!($type), $c_member),
                    offset_of!($type, $member),
                    Rule::Equal,
                )
            }
        };
    }

    /// Offset and width of a member whose type is a prefix struct, which only
    /// 4.0 has.
    #[cfg(wireshark = "4.0")]
    macro_rules! prefix_member {
        ($type:ident, $member:ident) => {
            Declared {
                width_rule: Rule::AtMost,
                ..member!($type, $member)
            }
        };
    }

    macro_rules! constant {
        ($name:ident) => {
            declared(stringify!($name), $name, Rule::Equal)
        };
    }

    fn declared_facts() -> Vec<Declared> {
        let mut facts = vec![
            constant!(WIRESHARK_VERSION_MAJOR),
            constant!(WIRESHARK_VERSION_MINOR),
            size!(GArray),
            member!(GArray, data),
            member!(GArray, len),
            size!(GPtrArray),
            member!(GPtrArray, pdata),
            member!(GPtrArray, len),
            size!(nstime_t),
            member!(nstime_t, secs),
            member!(nstime_t, nsecs),
            constant!(FT_NONE),
            constant!(FT_PROTOCOL),
            constant!(FT_BOOLEAN),
            constant!(FT_UINT8),
            constant!(FT_UINT16),
            constant!(FT_UINT32),
            constant!(FT_RELATIVE_TIME),
            constant!(FT_STRING),
            constant!(FT_FRAMENUM),
            constant!(FT_FRAMENUM_NONE),
            constant!(FT_FRAMENUM_REQUEST),
            constant!(FT_FRAMENUM_RESPONSE),
            constant!(FT_FRAMENUM_ACK),
            constant!(FT_FRAMENUM_DUP_ACK),
            size!(value_string),
            member!(value_string, value),
            member!(value_string, strptr),
            size!(true_false_string),
            member!(true_false_string, true_string),
            member!(true_false_string, false_string),
            constant!(BASE_NONE),
            constant!(BASE_DEC),
            constant!(BASE_HEX),
            constant!(HF_REF_TYPE_NONE),
            constant!(ENC_BIG_ENDIAN),
            constant!(ENC_NA),
            constant!(FI_GENERATED),
            constant!(PI_COMMENT),
            constant!(PI_CHAT),
            constant!(PI_NOTE),
            constant!(PI_WARN),
            constant!(PI_ERROR),
            constant!(PI_SEQUENCE),
            constant!(PI_RESPONSE_CODE),
            constant!(PI_UNDECODED),
            constant!(PI_MALFORMED),
            constant!(PI_DEBUG),
            constant!(PI_PROTOCOL),
            constant!(PI_ASSUMPTION),
            constant!(TAP_PACKET_DONT_REDRAW),
            constant!(TAP_PACKET_REDRAW),
            constant!(TAP_PACKET_FAILED),
            constant!(STAT_DT_INT),
            constant!(STAT_DT_FLOAT),
            constant!(MN_INCREASE),
            constant!(MN_SET),
            size!(header_field_info),
            member!(header_field_info, name),
            member!(header_field_info, abbrev),
            member!(header_field_info, type_ => "type"),
            member!(header_field_info, display),
            member!(header_field_info, strings),
            member!(header_field_info, bitmask),
            member!(header_field_info, blurb),
            member!(header_field_info, id),
            member!(header_field_info, parent),
            member!(header_field_info, ref_type),
            member!(header_field_info, same_name_prev_id),
            member!(header_field_info, same_name_next),
            size!(hf_register_info),
            member!(hf_register_info, p_id),
            member!(hf_register_info, hfinfo),
            prefix_size!(field_info),
            member!(field_info, hfinfo),
            member!(field_info, start),
            member!(field_info, length),
            member!(field_info, appendix_start),
            member!(field_info, appendix_length),
            member!(field_info, tree_type),
            member!(field_info, flags),
            member!(field_info, rep),
            member!(field_info, ds_tvb),
            prefix_size!(tree_data_t),
            member!(tree_data_t, interesting_hfids),
            member!(tree_data_t, visible),
            size!(proto_node),
            member!(proto_node, first_child),
            member!(proto_node, last_child),
            member!(proto_node, next),
            member!(proto_node, parent),
            member!(proto_node, finfo),
            member!(proto_node, tree_data),
            size!(proto_plugin),
            member!(proto_plugin, register_protoinfo),
            member!(proto_plugin, register_handoff),
            size!(tap_plugin),
            member!(tap_plugin, register_tap_listener),
            prefix_size!(packet_info),
            member!(packet_info, current_proto),
            member!(packet_info, cinfo),
            member!(packet_info, presence_flags),
            member!(packet_info, num),
            member!(packet_info, abs_ts),
            size!(expert_field),
            member!(expert_field, ei),
            member!(expert_field, hf),
            size!(expert_field_info),
            member!(expert_field_info, name),
            member!(expert_field_info, group),
            member!(expert_field_info, severity),
            member!(expert_field_info, summary),
            member!(expert_field_info, id),
            member!(expert_field_info, protocol),
            member!(expert_field_info, orig_severity),
            member!(expert_field_info, hf_info),
            size!(ei_register_info),
            member!(ei_register_info, ids),
            member!(ei_register_info, eiinfo),
        ];
        // The value moved behind a pointer, and fvalue_t became opaque, in 4.2.
        #[cfg(wireshark = "4.0")]
        facts.extend([
            prefix_member!(field_info, value),
            prefix_size!(fvalue_t),
            member!(fvalue_t, ftype),
        ]);
        #[cfg(not(wireshark = "4.0"))]
        facts.push(member!(field_info, value));
        #[cfg(any(wireshark = "4.4", wireshark = "4.6"))]
        facts.extend([
            constant!(WS_PLUGIN_DESC_DISSECTOR),
            constant!(WS_PLUGIN_DESC_TAP_LISTENER),
        ]);
        // 4.6 nodes cache their field's header_field_info.
        #[cfg(wireshark = "4.6")]
        facts.push(member!(proto_node, hfinfo));
        facts
    }

    /// The number of facts compared, or one message per declared fact that
    /// disagrees with the real headers or that only one side lists.
    pub fn compare() -> Result<usize, Vec<String>> {
        let mut real = real_facts();
        let declared = declared_facts();
        let mut failures = Vec::new();
        for fact in &declared {
            let Some((real_value, real_width)) = real.remove(&fact.name) else {
                failures.push(format!("{}: not in probe/layout_probe.c", fact.name));
                continue;
            };
            if !fact.rule.holds(fact.value, real_value) {
                failures.push(format!(
                    "{}: declared {}, real Wireshark headers say {}",
                    fact.name, fact.value, real_value
                ));
            }
            if !fact.width_rule.holds(fact.width, real_width) {
                failures.push(format!(
                    "{}: declared {} bytes wide, real Wireshark headers say {}",
                    fact.name, fact.width, real_width
                ));
            }
        }
        failures.extend(
            real.keys()
                .map(|name| format!("{name}: probed but not checked in tests/layout.rs")),
        );
        if failures.is_empty() {
            Ok(declared.len())
        } else {
            Err(failures)
        }
    }
}
