#!/usr/bin/env python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Prints the code point tables of src/textwidth.c from Python's Unicode database: the
# characters a terminal shows in no cell (combining marks, format characters, Hangul
# medial vowels and final consonants) and in two (East Asian Wide and Fullwidth).
#
# usage: scripts/gen-textwidth.py > tables.txt, then put them in src/textwidth.c in place of
# the tables there (from their first comment to `clang-format on`)
import sys
import unicodedata as u

# Format characters a terminal shows (they prefix a number): one cell, as glibc's wcwidth.
PREPENDED = {0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x6dd, 0x70f, 0x890, 0x891, 0x8e2,
             0x110bd, 0x110cd}


# Wide in glibc's tables (the circled numbers ten to eighty on black squares, and the
# Yijing hexagrams, wide since Unicode 16), which terminals follow: two cells.
WIDE_AS_GLIBC = [(0x3248, 0x324f), (0x4dc0, 0x4dff)]


def planes_2_3(cp):
    return 0x20000 <= cp <= 0x2fffd or 0x30000 <= cp <= 0x3fffd


def width(cp):
    """0, 1 or 2 cells; None for an unassigned code point (it joins either neighbour)."""
    c = chr(cp)
    cat = u.category(c)
    if cat == 'Cn' and not planes_2_3(cp):
        return None
    if (cat in ('Mn', 'Me') or (cat == 'Cf' and cp not in PREPENDED) or
            0x1160 <= cp <= 0x11ff or 0xd7b0 <= cp <= 0xd7ff):
        return 0
    if (u.east_asian_width(c) in ('W', 'F') or planes_2_3(cp) or
            any(a <= cp <= b for a, b in WIDE_AS_GLIBC)):
        return 2
    return 1


def ranges(want):
    out, start, last = [], None, None
    # Below U+0300 every character a terminal is shown (controls are escaped) takes one cell.
    for cp in range(0x300, 0x110000):
        w = width(cp)
        if w is None:
            continue
        if w == want:
            start = cp if start is None else start
            last = cp
        elif start is not None:
            out.append((start, last))
            start = None
    if start is not None:
        out.append((start, last))
    return out


def emit(name, rs):
    print('static const struct cp_range %s[] = {' % name)
    line = '\t'
    for r in rs:
        item = '{ 0x%x, 0x%x },' % r
        if len(line) + len(item) + 1 > 92:
            print(line.rstrip())
            line = '\t'
        line += item + ' '
    print(line.rstrip())
    print('};')


print('/* Unicode %s (scripts/gen-textwidth.py) */' % u.unidata_version)
print('/* clang-format off */')
emit('zero_width', ranges(0))
print()
emit('double_width', ranges(2))
print('/* clang-format on */')
sys.exit(0)
