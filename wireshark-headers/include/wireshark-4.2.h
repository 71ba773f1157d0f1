/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The part of the Wireshark 4.2 C API that tcpwave uses, declared from
 * scratch (see wireshark-4.0.h for the conventions). Wireshark 4.2 sits
 * between 4.0 and 4.4: its API is still spelt with glib types (so
 * tree_data_t.visible is a 4-byte gboolean, as in 4.0), but field_info
 * already holds its value by pointer and fvalue_t is opaque, as in 4.4.
 *
 * Written from the headers of tag v4.2.2 as packaged by Ubuntu 24.04
 * (libwireshark-dev, libwsutil-dev 4.2.2-1.1build3): epan/proto.h,
 * epan/packet_info.h, epan/expert.h, epan/packet.h, epan/tap.h,
 * epan/stats_tree.h, epan/epan.h, epan/column-utils.h, epan/tvbuff.h,
 * epan/value_string.h, epan/tfs.h, epan/ftypes/ftypes.h, wsutil/nstime.h.
 * Like 4.0, proto_tree_add_boolean() still takes 32 bits; like 4.4,
 * expert_add_info_format() returns the item it added.
 */
#ifndef TCPWAVE_WIRESHARK_4_2_H
#define TCPWAVE_WIRESHARK_4_2_H

#include <stddef.h>

#ifndef TCPWAVE_FUNCTIONS_ONLY

/* ws_version.h */
#define WIRESHARK_VERSION_MAJOR 4
#define WIRESHARK_VERSION_MINOR 2

/* glib/gtypes.h and glibconfig.h */
typedef char gchar;
typedef int gint;
typedef unsigned int guint;
typedef int gboolean;
typedef unsigned int guint32;
typedef long long gint64;
typedef unsigned long long guint64;
typedef void *gpointer;
typedef const void *gconstpointer;

/* glib/garray.h */
typedef struct _GArray {
    gchar *data;
    guint len;
} GArray;

typedef struct _GPtrArray {
    gpointer *pdata;
    guint len;
} GPtrArray;

/* wsutil/nstime.h: secs is a time_t, 64 bits wide on every 64-bit platform. */
typedef struct {
    gint64 secs;
    int nsecs;
} nstime_t;

/* epan/ftypes/ftypes.h */
enum ftenum {
    FT_NONE = 0,
    FT_PROTOCOL = 1,
    FT_BOOLEAN = 2,
    FT_UINT8 = 4,
    FT_UINT16 = 5,
    FT_UINT32 = 7,
    FT_RELATIVE_TIME = 25,
    FT_STRING = 26,
    FT_FRAMENUM = 35
};

/* epan/ftypes/ftypes.h: what an FT_FRAMENUM field points at. The value goes,
 * cast to a pointer, into header_field_info.strings (FRAMENUM_TYPE()). */
enum ft_framenum_type {
    FT_FRAMENUM_NONE = 0,
    FT_FRAMENUM_REQUEST = 1,
    FT_FRAMENUM_RESPONSE = 2,
    FT_FRAMENUM_ACK = 3,
    FT_FRAMENUM_DUP_ACK = 4
};

/* epan/ftypes/ftypes.h: opaque, read through fvalue_get_uinteger(). */
typedef struct _fvalue_t fvalue_t;

/* epan/tvbuff.h */
typedef struct tvbuff tvbuff_t;

/* epan/value_string.h */
typedef struct _value_string {
    guint32 value;
    const gchar *strptr;
} value_string;

/* epan/tfs.h */
typedef struct true_false_string {
    const char *true_string;
    const char *false_string;
} true_false_string;

/* epan/proto.h: values for header_field_info.display */
typedef enum {
    BASE_NONE = 0,
    BASE_DEC = 1,
    BASE_HEX = 2
} field_display_e;

/* epan/proto.h */
typedef enum {
    HF_REF_TYPE_NONE = 0
} hf_ref_type;

/* epan/proto.h: proto_tree_add_item() encodings */
#define ENC_BIG_ENDIAN 0x00000000
#define ENC_NA 0x00000000

/* epan/proto.h: field_info.flags bit for items not taken from packet bytes */
#define FI_GENERATED 0x00000002

/* epan/proto.h: expert severities (expert_field_info.severity) */
#define PI_COMMENT 0x00100000
#define PI_CHAT 0x00200000
#define PI_NOTE 0x00400000
#define PI_WARN 0x00600000
#define PI_ERROR 0x00800000

/* epan/proto.h: expert groups (expert_field_info.group) */
#define PI_SEQUENCE 0x02000000
#define PI_RESPONSE_CODE 0x03000000
#define PI_UNDECODED 0x05000000
#define PI_MALFORMED 0x07000000
#define PI_DEBUG 0x08000000
#define PI_PROTOCOL 0x09000000
#define PI_ASSUMPTION 0x0d000000

/* epan/proto.h: opaque, only asked whether it is enabled. */
typedef struct _protocol protocol_t;

/* epan/proto.h. HFILL fills the last five members with
 * id = -1, parent = 0, ref_type = HF_REF_TYPE_NONE, same_name_prev_id = -1,
 * same_name_next = NULL. */
typedef struct _header_field_info header_field_info;
struct _header_field_info {
    const char *name;
    const char *abbrev;
    enum ftenum type;
    int display;
    const void *strings;
    guint64 bitmask;
    const char *blurb;
    int id;
    int parent;
    hf_ref_type ref_type;
    int same_name_prev_id;
    header_field_info *same_name_next;
};

/* epan/proto.h */
typedef struct hf_register_info {
    int *p_id;
    header_field_info hfinfo;
} hf_register_info;

/* epan/proto.h */
typedef struct _item_label_t item_label_t;

/* epan/proto.h, prefix: shared by every node of one tree; `visible` says
 * whether anyone will display it, so whether item text is worth making. */
typedef struct _tree_data_t {
    void *interesting_hfids;
    gboolean visible;
} tree_data_t;

/* epan/proto.h, prefix */
typedef struct field_info {
    header_field_info *hfinfo;
    gint start;
    gint length;
    gint appendix_start;
    gint appendix_length;
    gint tree_type;
    guint32 flags;
    item_label_t *rep;
    tvbuff_t *ds_tvb;
    fvalue_t *value;
} field_info;

/* epan/proto.h */
typedef struct _proto_node {
    struct _proto_node *first_child;
    struct _proto_node *last_child;
    struct _proto_node *next;
    struct _proto_node *parent;
    field_info *finfo;
    tree_data_t *tree_data;
} proto_node;

typedef proto_node proto_tree;
typedef proto_node proto_item;

/* epan/proto.h */
typedef struct {
    void (*register_protoinfo)(void);
    void (*register_handoff)(void);
} proto_plugin;

/* epan/column-utils.h */
struct epan_column_info;

/* epan/packet_info.h, prefix */
typedef struct _packet_info {
    const char *current_proto;
    struct epan_column_info *cinfo;
    guint32 presence_flags;
    guint32 num;
    nstime_t abs_ts;
} packet_info;

/* epan/expert.h. EI_INIT sets both members to -1. */
typedef struct expert_field {
    int ei;
    int hf;
} expert_field;

/* epan/expert.h. EXPFILL fills the last four members with
 * id = 0, protocol = NULL, orig_severity = 0 and
 * hf_info = { NULL, { NULL, NULL, FT_NONE, BASE_NONE, NULL, 0, NULL, HFILL } }. */
typedef struct expert_field_info {
    const char *name;
    int group;
    int severity;
    const gchar *summary;
    int id;
    const gchar *protocol;
    int orig_severity;
    hf_register_info hf_info;
} expert_field_info;

/* epan/expert.h */
typedef struct ei_register_info {
    expert_field *ids;
    expert_field_info eiinfo;
} ei_register_info;

typedef struct expert_module expert_module_t;

/* epan/packet.h */
typedef int (*dissector_t)(tvbuff_t *, packet_info *, proto_tree *, void *);
typedef struct dissector_handle *dissector_handle_t;

/* epan/tap.h: what plugin_register() hands Wireshark for a plugin with taps */
typedef struct {
    void (*register_tap_listener)(void);
} tap_plugin;

/* epan/tap.h */
typedef enum {
    TAP_PACKET_DONT_REDRAW = 0,
    TAP_PACKET_REDRAW = 1,
    TAP_PACKET_FAILED = 2
} tap_packet_status;

typedef guint tap_flags_t;

/* epan/epan.h */
typedef struct epan_dissect epan_dissect_t;

/* epan/stats_tree.h */
typedef struct _stats_tree stats_tree;

typedef tap_packet_status (*stat_tree_packet_cb)(stats_tree *, packet_info *, epan_dissect_t *,
                                                 const void *, tap_flags_t flags);
typedef void (*stat_tree_init_cb)(stats_tree *);
typedef void (*stat_tree_cleanup_cb)(stats_tree *);

typedef enum {
    STAT_DT_INT = 0,
    STAT_DT_FLOAT = 1
} stat_node_datatype;

typedef enum {
    MN_INCREASE = 0,
    MN_SET = 1
} manip_node_mode;

#endif /* TCPWAVE_FUNCTIONS_ONLY */

/* glib/garray.h. g_array_append_val() is a macro over g_array_append_vals(). */
GArray *g_array_new(gboolean zero_terminated, gboolean clear_, guint element_size);
GArray *g_array_append_vals(GArray *array, gconstpointer data, guint len);

/* epan/ftypes/ftypes.h */
guint32 fvalue_get_uinteger(fvalue_t *fv);

/* epan/tvbuff.h */
void *tvb_memcpy(tvbuff_t *tvb, void *target, const gint offset, size_t length);
guint tvb_captured_length(const tvbuff_t *tvb);
guint tvb_reported_length(const tvbuff_t *tvb);

/* epan/proto.h */
void proto_register_plugin(const proto_plugin *plugin);
int proto_register_protocol(const char *name, const char *short_name, const char *filter_name);
void proto_register_field_array(const int parent, hf_register_info *hf, const int num_records);
void proto_register_subtree_array(gint *const *indices, const int num_indices);
int proto_registrar_get_id_byname(const char *field_name);
header_field_info *proto_registrar_get_nth(guint hfindex);
gboolean proto_field_is_referenced(proto_tree *tree, int proto_id);
protocol_t *find_protocol_by_id(const int proto_id);
gboolean proto_is_protocol_enabled(const protocol_t *protocol);

proto_item *proto_tree_add_item(proto_tree *tree, int hfindex, tvbuff_t *tvb,
                                const gint start, gint length, const guint encoding);
proto_item *proto_tree_add_uint(proto_tree *tree, int hfindex, tvbuff_t *tvb,
                                gint start, gint length, guint32 value);
proto_item *proto_tree_add_boolean(proto_tree *tree, int hfindex, tvbuff_t *tvb,
                                   gint start, gint length, guint32 value);
proto_item *proto_tree_add_string(proto_tree *tree, int hfindex, tvbuff_t *tvb,
                                  gint start, gint length, const char *value);
proto_item *proto_tree_add_time(proto_tree *tree, int hfindex, tvbuff_t *tvb,
                                gint start, gint length, const nstime_t *value_ptr);
proto_item *proto_tree_add_uint_format_value(proto_tree *tree, int hfindex, tvbuff_t *tvb,
                                              gint start, gint length, guint32 value,
                                              const char *format, ...);
proto_tree *proto_item_add_subtree(proto_item *pi, const gint idx);
void proto_item_append_text(proto_item *pi, const char *format, ...);
void proto_item_set_text(proto_item *pi, const char *format, ...);

/* epan/expert.h */
expert_module_t *expert_register_protocol(int id);
void expert_register_field_array(expert_module_t *module, ei_register_info *ei, const int num_records);
proto_item *expert_add_info_format(packet_info *pinfo, proto_item *pi, expert_field *eiindex,
                                   const char *format, ...);

/* epan/packet.h */
dissector_handle_t create_dissector_handle(dissector_t dissector, const int proto);
void register_postdissector(dissector_handle_t handle);
void set_postdissector_wanted_hfids(dissector_handle_t handle, GArray *wanted_hfids);
void register_init_routine(void (*func)(void));
void register_cleanup_routine(void (*func)(void));


/* epan/tap.h */
void tap_register_plugin(const tap_plugin *plugin);
int register_tap(const char *name);
void tap_queue_packet(int tap_id, packet_info *pinfo, const void *tap_specific_data);

/* epan/stats_tree.h */
void stats_tree_register_plugin(const char *tapname, const char *abbr, const char *name,
                                guint flags, stat_tree_packet_cb packet,
                                stat_tree_init_cb init, stat_tree_cleanup_cb cleanup);
int stats_tree_create_node(stats_tree *st, const char *name, int parent_id,
                           stat_node_datatype datatype, gboolean with_children);
int stats_tree_manip_node_int(manip_node_mode mode, stats_tree *st, const char *name,
                              int parent_id, gboolean with_children, int value);

#endif /* TCPWAVE_WIRESHARK_4_2_H */
