/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Compiled (syntax only) by build.rs with the REAL Wireshark headers first
 * and then the function declarations of include/wireshark-X.Y.h, named by
 * TCPWAVE_HEADER. C allows a function to be declared twice only with
 * compatible types, so every declaration that disagrees with Wireshark's
 * own is reported as "conflicting types"; tests/layout.rs shows those.
 */
#include <glib.h>
#include <epan/expert.h>
#include <epan/packet.h>
#include <epan/proto.h>
#include <epan/stats_tree.h>
#include <epan/tap.h>
#include <epan/tvbuff.h>

#define TCPWAVE_FUNCTIONS_ONLY
#include TCPWAVE_HEADER
