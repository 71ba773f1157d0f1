// SPDX-License-Identifier: GPL-2.0-or-later
//! Checks include/wireshark-4.0.h against the real Wireshark headers: every
//! struct size, member offset and constant it declares must equal the fact
//! probe/layout_probe.c compiled from the real headers (for prefix structs the
//! declared size may be smaller). Without the real headers it only says so.
//!
//! Runs without the test harness so that its summary is always shown.

#[cfg(not(real_headers))]
fn main() {
    eprintln!(
        "skipped: real Wireshark headers not installed \
         (or WIRESHARK_HEADERS_NO_PROBE set when building)"
    );
}

#[cfg(real_headers)]
fn main() {
    match real_headers::compare() {
        Ok(checked) => {
            println!(
                "layout: {checked} sizes, offsets and constants match the real Wireshark headers"
            );
        }
        Err(failures) => {
            eprintln!("include/wireshark-4.0.h drifted from the real Wireshark headers:");
            for failure in &failures {
                eprintln!("  {failure}");
            }
            std::process::exit(1);
        }
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
    }

    extern "C" {
        /// Defined in probe/layout_probe.c.
        fn tcpwave_layout_facts(count: *mut usize) -> *const RealFact;
    }

    fn real_facts() -> BTreeMap<String, i64> {
        let mut count = 0;
        // SAFETY: the probe returns a static array of `count` entries whose
        // names are NUL-terminated string literals.
        let facts = unsafe { std::slice::from_raw_parts(tcpwave_layout_facts(&mut count), count) };
        facts
            .iter()
            .map(|fact| {
                // SAFETY: see above.
                let name = unsafe { CStr::from_ptr(fact.name) };
                (name.to_str().unwrap().to_owned(), fact.value)
            })
            .collect()
    }

    enum Rule {
        Equal,
        /// A prefix declaration may be smaller than the real struct.
        AtMost,
    }

    struct Declared {
        name: String,
        value: i64,
        rule: Rule,
    }

    fn declared(name: &str, value: impl TryInto<i64>, rule: Rule) -> Declared {
        let value = value
            .try_into()
            .unwrap_or_else(|_| panic!("{name} does not fit in i64"));
        Declared {
            name: name.to_owned(),
            value,
            rule,
        }
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

    /// Offset of a member; `rust_name => "c_name"` where bindgen renamed it.
    macro_rules! offset {
        ($type:ident, $member:ident) => {
            offset!($type, $member => stringify!($member))
        };
        ($type:ident, $member:ident => $c_member:expr) => {
            declared(
                &format!("{}.{}", stringify!($type), $c_member),
                offset_of!($type, $member),
                Rule::Equal,
            )
        };
    }

    macro_rules! constant {
        ($name:ident) => {
            declared(stringify!($name), $name, Rule::Equal)
        };
    }

    fn declared_facts() -> Vec<Declared> {
        vec![
            size!(GArray),
            offset!(GArray, data),
            offset!(GArray, len),
            size!(GPtrArray),
            offset!(GPtrArray, pdata),
            offset!(GPtrArray, len),
            size!(nstime_t),
            offset!(nstime_t, secs),
            offset!(nstime_t, nsecs),
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
            prefix_size!(fvalue_t),
            offset!(fvalue_t, ftype),
            size!(value_string),
            offset!(value_string, value),
            offset!(value_string, strptr),
            size!(true_false_string),
            offset!(true_false_string, true_string),
            offset!(true_false_string, false_string),
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
            size!(header_field_info),
            offset!(header_field_info, name),
            offset!(header_field_info, abbrev),
            offset!(header_field_info, type_ => "type"),
            offset!(header_field_info, display),
            offset!(header_field_info, strings),
            offset!(header_field_info, bitmask),
            offset!(header_field_info, blurb),
            offset!(header_field_info, id),
            offset!(header_field_info, parent),
            offset!(header_field_info, ref_type),
            offset!(header_field_info, same_name_prev_id),
            offset!(header_field_info, same_name_next),
            size!(hf_register_info),
            offset!(hf_register_info, p_id),
            offset!(hf_register_info, hfinfo),
            prefix_size!(field_info),
            offset!(field_info, hfinfo),
            offset!(field_info, start),
            offset!(field_info, length),
            offset!(field_info, appendix_start),
            offset!(field_info, appendix_length),
            offset!(field_info, tree_type),
            offset!(field_info, flags),
            offset!(field_info, rep),
            offset!(field_info, ds_tvb),
            offset!(field_info, value),
            prefix_size!(tree_data_t),
            offset!(tree_data_t, interesting_hfids),
            offset!(tree_data_t, visible),
            size!(proto_node),
            offset!(proto_node, first_child),
            offset!(proto_node, last_child),
            offset!(proto_node, next),
            offset!(proto_node, parent),
            offset!(proto_node, finfo),
            offset!(proto_node, tree_data),
            size!(proto_plugin),
            offset!(proto_plugin, register_protoinfo),
            offset!(proto_plugin, register_handoff),
            prefix_size!(packet_info),
            offset!(packet_info, current_proto),
            offset!(packet_info, cinfo),
            offset!(packet_info, presence_flags),
            offset!(packet_info, num),
            offset!(packet_info, abs_ts),
            size!(expert_field),
            offset!(expert_field, ei),
            offset!(expert_field, hf),
            size!(expert_field_info),
            offset!(expert_field_info, name),
            offset!(expert_field_info, group),
            offset!(expert_field_info, severity),
            offset!(expert_field_info, summary),
            offset!(expert_field_info, id),
            offset!(expert_field_info, protocol),
            offset!(expert_field_info, orig_severity),
            offset!(expert_field_info, hf_info),
            size!(ei_register_info),
            offset!(ei_register_info, ids),
            offset!(ei_register_info, eiinfo),
        ]
    }

    /// The number of facts compared, or one message per declared fact that
    /// disagrees with the real headers or that only one side lists.
    pub fn compare() -> Result<usize, Vec<String>> {
        let mut real = real_facts();
        let declared = declared_facts();
        let mut failures = Vec::new();
        for fact in &declared {
            let Some(real_value) = real.remove(&fact.name) else {
                failures.push(format!("{}: not in probe/layout_probe.c", fact.name));
                continue;
            };
            let holds = match fact.rule {
                Rule::Equal => fact.value == real_value,
                Rule::AtMost => fact.value <= real_value,
            };
            if !holds {
                failures.push(format!(
                    "{}: declared {}, real Wireshark headers say {}",
                    fact.name, fact.value, real_value
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
