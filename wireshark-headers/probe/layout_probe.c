/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Compiled against the REAL Wireshark 4.0 headers (never against
 * include/wireshark-4.0.h) and linked into tests/layout.rs, which compares
 * every fact below with the same fact of the bindgen declarations.
 * Each struct member and constant that include/wireshark-4.0.h declares
 * needs an entry here and one in tests/layout.rs.
 */
#include <stddef.h>

#include <glib.h>
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/tfs.h>
#include <epan/value_string.h>

struct tcpwave_layout_fact {
    const char *name;
    long long value;
};

#define SIZE(type) { "sizeof " #type, (long long)sizeof(type) }
#define OFFSET(type, member) { #type "." #member, (long long)offsetof(type, member) }
#define CONSTANT(name) { #name, (long long)(name) }

static const struct tcpwave_layout_fact facts[] = {
    SIZE(GArray),
    OFFSET(GArray, data),
    OFFSET(GArray, len),

    SIZE(GPtrArray),
    OFFSET(GPtrArray, pdata),
    OFFSET(GPtrArray, len),

    SIZE(nstime_t),
    OFFSET(nstime_t, secs),
    OFFSET(nstime_t, nsecs),

    CONSTANT(FT_NONE),
    CONSTANT(FT_PROTOCOL),
    CONSTANT(FT_BOOLEAN),
    CONSTANT(FT_UINT8),
    CONSTANT(FT_UINT16),
    CONSTANT(FT_UINT32),
    CONSTANT(FT_RELATIVE_TIME),
    CONSTANT(FT_STRING),
    CONSTANT(FT_FRAMENUM),

    CONSTANT(FT_FRAMENUM_NONE),
    CONSTANT(FT_FRAMENUM_REQUEST),
    CONSTANT(FT_FRAMENUM_RESPONSE),
    CONSTANT(FT_FRAMENUM_ACK),
    CONSTANT(FT_FRAMENUM_DUP_ACK),

    SIZE(fvalue_t),
    OFFSET(fvalue_t, ftype),

    SIZE(value_string),
    OFFSET(value_string, value),
    OFFSET(value_string, strptr),

    SIZE(true_false_string),
    OFFSET(true_false_string, true_string),
    OFFSET(true_false_string, false_string),

    CONSTANT(BASE_NONE),
    CONSTANT(BASE_DEC),
    CONSTANT(BASE_HEX),
    CONSTANT(HF_REF_TYPE_NONE),
    CONSTANT(ENC_BIG_ENDIAN),
    CONSTANT(ENC_NA),
    CONSTANT(FI_GENERATED),

    CONSTANT(PI_COMMENT),
    CONSTANT(PI_CHAT),
    CONSTANT(PI_NOTE),
    CONSTANT(PI_WARN),
    CONSTANT(PI_ERROR),
    CONSTANT(PI_SEQUENCE),
    CONSTANT(PI_RESPONSE_CODE),
    CONSTANT(PI_UNDECODED),
    CONSTANT(PI_MALFORMED),
    CONSTANT(PI_DEBUG),
    CONSTANT(PI_PROTOCOL),
    CONSTANT(PI_ASSUMPTION),

    SIZE(header_field_info),
    OFFSET(header_field_info, name),
    OFFSET(header_field_info, abbrev),
    OFFSET(header_field_info, type),
    OFFSET(header_field_info, display),
    OFFSET(header_field_info, strings),
    OFFSET(header_field_info, bitmask),
    OFFSET(header_field_info, blurb),
    OFFSET(header_field_info, id),
    OFFSET(header_field_info, parent),
    OFFSET(header_field_info, ref_type),
    OFFSET(header_field_info, same_name_prev_id),
    OFFSET(header_field_info, same_name_next),

    SIZE(hf_register_info),
    OFFSET(hf_register_info, p_id),
    OFFSET(hf_register_info, hfinfo),

    SIZE(field_info),
    OFFSET(field_info, hfinfo),
    OFFSET(field_info, start),
    OFFSET(field_info, length),
    OFFSET(field_info, appendix_start),
    OFFSET(field_info, appendix_length),
    OFFSET(field_info, tree_type),
    OFFSET(field_info, flags),
    OFFSET(field_info, rep),
    OFFSET(field_info, ds_tvb),
    OFFSET(field_info, value),

    SIZE(tree_data_t),
    OFFSET(tree_data_t, interesting_hfids),
    OFFSET(tree_data_t, visible),

    SIZE(proto_node),
    OFFSET(proto_node, first_child),
    OFFSET(proto_node, last_child),
    OFFSET(proto_node, next),
    OFFSET(proto_node, parent),
    OFFSET(proto_node, finfo),
    OFFSET(proto_node, tree_data),

    SIZE(proto_plugin),
    OFFSET(proto_plugin, register_protoinfo),
    OFFSET(proto_plugin, register_handoff),

    SIZE(packet_info),
    OFFSET(packet_info, current_proto),
    OFFSET(packet_info, cinfo),
    OFFSET(packet_info, presence_flags),
    OFFSET(packet_info, num),
    OFFSET(packet_info, abs_ts),

    SIZE(expert_field),
    OFFSET(expert_field, ei),
    OFFSET(expert_field, hf),

    SIZE(expert_field_info),
    OFFSET(expert_field_info, name),
    OFFSET(expert_field_info, group),
    OFFSET(expert_field_info, severity),
    OFFSET(expert_field_info, summary),
    OFFSET(expert_field_info, id),
    OFFSET(expert_field_info, protocol),
    OFFSET(expert_field_info, orig_severity),
    OFFSET(expert_field_info, hf_info),

    SIZE(ei_register_info),
    OFFSET(ei_register_info, ids),
    OFFSET(ei_register_info, eiinfo),
};

const struct tcpwave_layout_fact *tcpwave_layout_facts(size_t *count)
{
    *count = sizeof facts / sizeof facts[0];
    return facts;
}
