/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Compiled against the REAL Wireshark headers (never against
 * include/wireshark-X.Y.h) of the version being built for, and linked into
 * tests/layout.rs, which compares every fact below with the same fact of the
 * bindgen declarations. Each struct member and constant that the header
 * declares needs an entry here and one in tests/layout.rs, under the same
 * version condition.
 */
#include <stddef.h>

#include <glib.h>
#include <ws_version.h>
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>
#include <epan/tfs.h>

#define AT_LEAST(major, minor) \
    (WIRESHARK_VERSION_MAJOR * 100 + WIRESHARK_VERSION_MINOR >= (major) * 100 + (minor))

#if AT_LEAST(4, 4)
#include <wsutil/plugins.h>
#endif

struct tcpwave_layout_fact {
    const char *name;
    long long value;
    /* sizeof a struct member; 0 for sizes and constants */
    long long width;
};

#define SIZE(type) { "sizeof " #type, (long long)sizeof(type), 0 }
#define MEMBER(type, member) \
    { #type "." #member, (long long)offsetof(type, member), (long long)sizeof(((type *)0)->member) }
#define CONSTANT(name) { #name, (long long)(name), 0 }

static const struct tcpwave_layout_fact facts[] = {
    CONSTANT(WIRESHARK_VERSION_MAJOR),
    CONSTANT(WIRESHARK_VERSION_MINOR),

    SIZE(GArray),
    MEMBER(GArray, data),
    MEMBER(GArray, len),

    SIZE(GPtrArray),
    MEMBER(GPtrArray, pdata),
    MEMBER(GPtrArray, len),

    SIZE(nstime_t),
    MEMBER(nstime_t, secs),
    MEMBER(nstime_t, nsecs),

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

#if !AT_LEAST(4, 2)
    /* opaque from 4.2 on */
    SIZE(fvalue_t),
    MEMBER(fvalue_t, ftype),
#endif

    SIZE(value_string),
    MEMBER(value_string, value),
    MEMBER(value_string, strptr),

    SIZE(true_false_string),
    MEMBER(true_false_string, true_string),
    MEMBER(true_false_string, false_string),

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
    CONSTANT(TAP_PACKET_DONT_REDRAW),
    CONSTANT(TAP_PACKET_REDRAW),
    CONSTANT(TAP_PACKET_FAILED),
    CONSTANT(STAT_DT_INT),
    CONSTANT(STAT_DT_FLOAT),
    CONSTANT(MN_INCREASE),
    CONSTANT(MN_SET),

#if AT_LEAST(4, 4)
    CONSTANT(WS_PLUGIN_DESC_DISSECTOR),
    CONSTANT(WS_PLUGIN_DESC_TAP_LISTENER),
#endif

    SIZE(header_field_info),
    MEMBER(header_field_info, name),
    MEMBER(header_field_info, abbrev),
    MEMBER(header_field_info, type),
    MEMBER(header_field_info, display),
    MEMBER(header_field_info, strings),
    MEMBER(header_field_info, bitmask),
    MEMBER(header_field_info, blurb),
    MEMBER(header_field_info, id),
    MEMBER(header_field_info, parent),
    MEMBER(header_field_info, ref_type),
    MEMBER(header_field_info, same_name_prev_id),
    MEMBER(header_field_info, same_name_next),

    SIZE(hf_register_info),
    MEMBER(hf_register_info, p_id),
    MEMBER(hf_register_info, hfinfo),

    SIZE(field_info),
    MEMBER(field_info, hfinfo),
    MEMBER(field_info, start),
    MEMBER(field_info, length),
    MEMBER(field_info, appendix_start),
    MEMBER(field_info, appendix_length),
    MEMBER(field_info, tree_type),
    MEMBER(field_info, flags),
    MEMBER(field_info, rep),
    MEMBER(field_info, ds_tvb),
    MEMBER(field_info, value),

    SIZE(tree_data_t),
    MEMBER(tree_data_t, interesting_hfids),
    MEMBER(tree_data_t, visible),

    SIZE(proto_node),
    MEMBER(proto_node, first_child),
    MEMBER(proto_node, last_child),
    MEMBER(proto_node, next),
    MEMBER(proto_node, parent),
#if AT_LEAST(4, 6)
    MEMBER(proto_node, hfinfo),
#endif
    MEMBER(proto_node, finfo),
    MEMBER(proto_node, tree_data),

    SIZE(proto_plugin),
    MEMBER(proto_plugin, register_protoinfo),
    MEMBER(proto_plugin, register_handoff),

    SIZE(tap_plugin),
    MEMBER(tap_plugin, register_tap_listener),

    SIZE(packet_info),
    MEMBER(packet_info, current_proto),
    MEMBER(packet_info, cinfo),
    MEMBER(packet_info, presence_flags),
    MEMBER(packet_info, num),
    MEMBER(packet_info, abs_ts),

    SIZE(expert_field),
    MEMBER(expert_field, ei),
    MEMBER(expert_field, hf),

    SIZE(expert_field_info),
    MEMBER(expert_field_info, name),
    MEMBER(expert_field_info, group),
    MEMBER(expert_field_info, severity),
    MEMBER(expert_field_info, summary),
    MEMBER(expert_field_info, id),
    MEMBER(expert_field_info, protocol),
    MEMBER(expert_field_info, orig_severity),
    MEMBER(expert_field_info, hf_info),

    SIZE(ei_register_info),
    MEMBER(ei_register_info, ids),
    MEMBER(ei_register_info, eiinfo),
};

const struct tcpwave_layout_fact *tcpwave_layout_facts(size_t *count)
{
    *count = sizeof facts / sizeof facts[0];
    return facts;
}
