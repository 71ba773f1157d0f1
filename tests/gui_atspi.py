"""Reads what Wireshark's window shows through AT-SPI, the accessibility bus Qt publishes its widgets
on: the text a screen reader speaks, so no OCR. Run by tests/gui.sh inside its Xvfb and D-Bus
session, with Debian's python3 (gi and the Atspi typelib), once per poll: a fresh process reads
every value from Wireshark, none from a cache filled before the capture had loaded.

When Wireshark shows a dialog, prints `dialog` and its texts. When it has loaded the capture (the
status bar shows the counts and the packet list as many rows as it says are displayed), prints
`status` and the status bar's labels, `columns` and the packet list's column titles, `row` and each
displayed packet's cells, all tab-separated. Otherwise exits 1.
"""

import re
import sys

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

Role = Atspi.Role


def children(node):
    return [node.get_child_at_index(i) for i in range(node.get_child_count())]


def find(node, role, name=None):
    """The first descendant with this role (and name), breadth first."""
    queue = [node]
    while queue:
        node = queue.pop(0)
        if node.get_role() == role and name in (None, node.get_name()):
            return node
        queue.extend(children(node))
    return None


def texts(node):
    """Every label and text shown in a widget, in order."""
    found = []
    if not node.get_state_set().contains(Atspi.StateType.SHOWING):
        return found
    if node.get_role() in (Role.LABEL, Role.TEXT):
        text = node.get_name() or Atspi.Text.get_text(node, 0, -1)
        if text:
            found.append(" ".join(text.split()))
    for child in children(node):
        found.extend(texts(child))
    return found


def wireshark():
    desktop = Atspi.get_desktop(0)
    apps = [app for app in children(desktop) if app.get_name() == "Wireshark"]
    return apps[0] if apps else None


def snapshot(app):
    """What the main window shows now, as the lines to print; None while it is still loading."""
    windows = children(app)
    dialogs = [w for w in windows if w.get_role() in (Role.DIALOG, Role.ALERT)]
    if dialogs:
        return [["dialog", *texts(dialog)] for dialog in dialogs]
    main = next((w for w in windows if w.get_role() == Role.FRAME), None)
    status_bar = main and find(main, Role.STATUS_BAR)
    packet_list = main and find(main, Role.TREE, "Packet list")
    if not (status_bar and packet_list):
        return None
    labels = texts(status_bar)
    displayed = re.search(r"Displayed: (\d+)", " ".join(labels))
    rows = Atspi.Table.get_n_rows(packet_list)
    if not displayed or int(displayed.group(1)) != rows:
        return None
    columns = Atspi.Table.get_n_columns(packet_list)
    lines = [["status", *labels],
             ["columns", *(Atspi.Table.get_column_header(packet_list, c).get_name()
                           for c in range(columns))]]
    for r in range(rows):
        lines.append(["row", *(Atspi.Table.get_accessible_at(packet_list, r, c).get_name()
                               for c in range(columns))])
    return lines


def main():
    app = wireshark()
    lines = app and snapshot(app)
    if not lines:
        return 1
    for line in lines:
        print("\t".join(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
