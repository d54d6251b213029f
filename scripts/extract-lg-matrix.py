#!/usr/bin/env python3
"""Extract the 権限・責任等一覧表 of MIC's local-government security guideline as YAML.

Usage:
    scripts/extract-lg-matrix.py SEED.txt > libraries/mic-lg-security/matrices/responsibilities.yaml
    scripts/extract-lg-matrix.py SEED.txt --check

SEED.txt is the guideline as plain text (seed 004). The matrix sits at the end of the file;
the 対策基準 model text (第2編 第2章) uses the same clause numbering, so each row's clause is
looked up there to infer which column holds each mark: the text extraction dropped the
empty cells, leaving only the marks in left-to-right order.

--check re-verifies the output (cells read across the columns give back the raw marks,
ids are unique, counts match the digest of the seed) and prints a summary to stderr.

Standard library only; the output depends only on the input file.
"""

import re
import sys
from collections import Counter, OrderedDict

# --------------------------------------------------------------------------------------
# Fixed vocabulary: columns of the matrix (left to right) and its marks.

COLUMNS = [
    ("committee", "lg_committee_member", "情報セキュリティ委員会", "Committee"),
    ("ciso", "lg_ciso", "最高情報セキュリティ責任者", "CISO"),
    ("chief", "lg_chief", "統括情報セキュリティ責任者", "Chief information security manager"),
    ("officer", "lg_officer", "情報セキュリティ責任者", "Department officer"),
    ("manager", "lg_manager", "情報セキュリティ管理者", "Section administrator"),
    ("system_manager", "lg_system_manager", "情報システム管理者", "System manager"),
    ("system_staff", "lg_system_staff", "情報システム担当者", "System staff"),
    ("audit_lead", "lg_audit_lead", "情報セキュリティ監査責任者", "Audit lead"),
    ("staff", "lg_staff", "職員等の義務", "Staff duties"),
    ("csirt", "lg_csirt", "CSIRT（統一的窓口）", "CSIRT (unified contact point)"),
    ("related_rules", None, "関係規定", "Related rules"),
    ("outsourcing", "lg_contractor", "外部委託", "Outsourcing"),
]
COL_IDS = [c[0] for c in COLUMNS]
COL_INDEX = {c: i for i, c in enumerate(COL_IDS)}

MARKS = [
    ("○", "権限又は責任等を有している者", "Holds the authority or responsibility"),
    ("△", "記載がある者又は報告先等", "Named in the clause, or receives the report"),
    ("許", "許可を与える者", "Grants permission"),
    ("承", "承認を与える者", "Grants approval"),
]
MARK_CHARS = {m[0] for m in MARKS}

# Role names as the model text writes them (whitespace removed). Longest first, because
# 統括情報セキュリティ責任者 and 最高情報セキュリティ責任者 contain 情報セキュリティ責任者.
ROLE_NAMES = [
    ("最高情報セキュリティ副責任者", "ciso"),
    ("最高情報セキュリティ責任者", "ciso"),
    ("情報セキュリティ監査統括責任者", "audit_lead"),
    ("統括情報セキュリティ責任者", "chief"),
    ("情報セキュリティ責任者", "officer"),
    ("情報セキュリティ管理者", "manager"),
    ("情報システム管理者", "system_manager"),
    ("情報システム担当者", "system_staff"),
    ("情報セキュリティ委員会", "committee"),
    ("統一的な窓口", "csirt"),
    ("外部委託事業者", "outsourcing"),
    ("委託した業者", "outsourcing"),
    ("委託する事業者", "outsourcing"),
    ("外部の事業者", "outsourcing"),
    ("委託事業者", "outsourcing"),
    ("事業者", "outsourcing"),
    ("監査責任者", "audit_lead"),
    ("副CISO", "ciso"),
    ("CISO", "ciso"),
    ("CSIRT", "csirt"),
    ("職員等", "staff"),
    ("職員", "staff"),
]
ROLE_NAMES.sort(key=lambda p: -len(p[0]))
# 行政委員会 (administrative commissions) is not the security committee; bare 委員会 only
# where it is not part of that word.
ROLE_RE = re.compile("|".join(re.escape(n) for n, _ in ROLE_NAMES) + "|(?<!行政)委員会")
ROLE_OF = dict(ROLE_NAMES)
ROLE_OF["委員会"] = "committee"

# Words that join coordinated role names (「A及びB」「A、B又はC」).
JOINER_RE = re.compile(r"^等?(?:及び|又は|並びに|、|・|,)(?:当該[^、。]{0,20}?する)?$")

# Unnumbered sub-rows of the matrix: the matrix lists two extra rows under 5.1(1)④(ア)
# with no numbering of their own. They get ids `<parent>-1`, `<parent>-2`, and each is
# read from the part of the parent clause it paraphrases (checked to occur in the clause).
SUBROW_EXCERPTS = {
    "5.1(1)④(ア)-1": "支給以外の端末の業務利用の可否判断をCISOが行った",
    "5.1(1)④(ア)-2": "統括情報セキュリティ責任者の定める実施手順に従い、情報セキュリティ管理者の許可を得て",
}

# The digest's worked examples (seed-004-digest.md, 8.2): the inference must give these.
# 7.4(1)'s ○ may belong to either actor the clause names; the digest leaves it open.
DIGEST_EXAMPLES = {
    "1(1)①": {"ciso": "○"},
    "1(2)⑦": {"ciso": "△", "chief": "○", "officer": "△", "manager": "△",
               "system_manager": "△", "system_staff": "△"},
    "2(2)⑩(ウ)": {"manager": "許", "staff": "○"},
    "4.1(6)": {"ciso": "承", "chief": "○", "system_manager": "○"},
    "5.2(2)①": {"committee": "承", "ciso": "○"},
    "5.3(1)①": {"manager": "△", "staff": "○", "csirt": "△"},
    "6.1(17)②": {"chief": "許", "system_manager": "許", "staff": "○"},
    "6.2(1)③(ウ)": {"ciso": "○", "chief": "△", "officer": "△", "manager": "△",
                    "system_manager": "△"},
    "7.4(1)": {"ciso": "許", "manager": "○"},
    "9.1(3)①": {"committee": "承", "audit_lead": "○"},
    # Not among the ten, but stated in the digest's note on the unnumbered sub-rows.
    "5.1(1)④(ア)-1": {"ciso": "○"},
    "5.1(1)④(ア)-2": {"chief": "○", "manager": "許"},
}
DIGEST_AMBIGUOUS = {"7.4(1)"}

# Counts the digest reports for the seed; --check compares against them.
EXPECTED_ROWS = {
    "1": 37, "2": 26, "3": 6,
    "4.1": 13, "4.2": 12, "4.3": 6, "4.4": 6,
    "5.1": 18, "5.2": 10, "5.3": 12, "5.4": 15,
    "6.1": 49, "6.2": 23, "6.3": 24, "6.4": 21, "6.5": 11, "6.6": 3,
    "7.1": 4, "7.2": 6, "7.3": 4, "7.4": 3, "7.5": 1, "7.6": 4,
    "8.1": 4, "8.2": 4, "8.3": 5, "8.4": 5,
    "9.1": 10, "9.2": 5, "9.3": 1,
}
EXPECTED_MARKS = {"○": 427, "△": 110, "許": 22, "承": 3}

# --------------------------------------------------------------------------------------
# Small text helpers. Ids are never NFKC-normalised: that would turn ① into 1.

FW_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
KATAKANA = "アイウエオカキクケコ"
WS_RE = re.compile(r"[\s\u3000]+")


def squeeze(text):
    """Drop whitespace, keeping one space only between two ASCII word characters."""
    parts = [p for p in WS_RE.split(text.strip()) if p]
    out = ""
    for p in parts:
        if out and re.match(r"[A-Za-z0-9]", p[0]) and re.match(r"[A-Za-z0-9]", out[-1]):
            out += " "
        out += p
    return out


def nows(text):
    return WS_RE.sub("", text)


def format_id(key, suffix=""):
    sec, sub, para, item, kata = key
    s = str(sec)
    if sub:
        s += f".{sub}"
    if para:
        s += f"({para})"
    if item:
        s += item
    if kata:
        s += f"({kata})"
    return s + suffix


def parent_key(key):
    key = list(key)
    for i in range(4, 0, -1):
        if key[i] is not None:
            key[i] = None
            return tuple(key)
    return None


# --------------------------------------------------------------------------------------
# The 対策基準 model text: a tree of section / subsection / paragraph / item / sub-item.

PARA_RE = re.compile(r"^[(（]([０-９0-9]{1,2})[)）]\s*(.*)$")
ITEM_RE = re.compile(r"^([①-⑳])\s*(.*)$")
KATA_RE = re.compile(r"^[(（]([ア-ン])[)）]\s*(.*)$")


class Node:
    def __init__(self):
        self.lead = []       # lines before the first child
        self.children = []   # child keys, in text order


def is_heading(raw, next_raw):
    # Headings lost their numbers in the text; they are short, indented lines that are
    # not sentences. The classification table's captions are followed by its header row.
    if not raw[:1] in (" ", "\u3000"):
        return False
    s = raw.strip()
    if not s or len(s) > 30 or "。" in s or s[0] in "(（・" or ITEM_RE.match(s):
        return False
    if next_raw is not None and next_raw.strip().startswith("分類"):
        return False
    return True


def parse_model(lines):
    """Return (nodes by key, heading names by (sec, sub))."""
    start = next(i for i, l in enumerate(lines)
                 if l.strip() == "情報セキュリティ対策基準（例文）")
    end = next(i for i, l in enumerate(lines) if i > start and re.match(r"\s*第1章", l))
    body = [l.rstrip("\n") for l in lines[start + 1:end] if l.strip()]

    nodes = OrderedDict()
    headings = {}

    def add(key):
        node = Node()
        nodes[key] = node
        parent = parent_key(key)
        if parent is not None and parent in nodes:
            nodes[parent].children.append(key)
        return node

    sec, sub, para, item, kata = 0, None, None, None, None
    has_subs = False
    current = None
    for i, raw in enumerate(body):
        nxt = body[i + 1] if i + 1 < len(body) else None
        s = raw.strip()
        if is_heading(raw, nxt):
            name = squeeze(s)
            if nxt is not None and is_heading(nxt, body[i + 2] if i + 2 < len(body) else None):
                # A heading directly followed by another opens a section with subsections.
                sec, sub, has_subs = sec + 1, None, True
                headings[(sec, None)] = name
            elif has_subs:
                sub = (sub or 0) + 1
                headings[(sec, sub)] = name
            else:
                sec, sub = sec + 1, None
                headings[(sec, None)] = name
            para = item = kata = None
            key = (sec, sub, None, None, None)
            current = nodes.get(key) or add(key)
            continue
        if current is None:
            continue  # the preamble before the first heading
        # A marker counts only if it continues the numbering, so that a wrapped line that
        # happens to start with "(１)" is not taken for a new paragraph.
        m = PARA_RE.match(s)
        if m and int(m.group(1).translate(FW_DIGITS)) == (para or 0) + 1:
            para, item, kata = int(m.group(1).translate(FW_DIGITS)), None, None
            current = add((sec, sub, para, None, None))
            current.lead.append(m.group(2))
            continue
        m = ITEM_RE.match(s)
        if m and CIRCLED.index(m.group(1)) == (CIRCLED.index(item) + 1 if item else 0):
            item, kata = m.group(1), None
            current = add((sec, sub, para, item, None))
            current.lead.append(m.group(2))
            continue
        m = KATA_RE.match(s)
        if m and item and KATAKANA.find(m.group(1)) == (KATAKANA.index(kata) + 1 if kata else 0):
            kata = m.group(1)
            current = add((sec, sub, para, item, kata))
            current.lead.append(m.group(2))
            continue
        current.lead.append(s)
    return nodes, headings


def full_text(nodes, key):
    node = nodes[key]
    return nows("".join(node.lead)) + "".join(full_text(nodes, c) for c in node.children)


def lead_text(nodes, key):
    return nows("".join(nodes[key].lead))


# --------------------------------------------------------------------------------------
# Who a clause names, and in what capacity.


class Actors:
    """Columns a text names: subjects (「Aは、」), permitters (「Aの許可」), approvers
    (「Aの承認」), and the rest merely named; in order of first mention. Each gets the mark
    the wording suggests, with a strength (10 = plain wording, less = weaker reading)."""

    def __init__(self):
        self.order = []
        self.kinds = {}  # column -> {expected mark: strength}

    def add(self, col, mark, strength=10):
        if col not in self.kinds:
            self.order.append(col)
            self.kinds[col] = {}
        self.kinds[col][mark] = max(strength, self.kinds[col].get(mark, 0))

    def subjects(self):
        return [c for c in self.order if "○" in self.kinds[c]]


# What follows a name that makes it the one reported to, instructed or consulted.
RECIPIENT_RE = re.compile(
    r"(?:に|へ)(?:速やかに)?(?:報告|通知|通報|相談|提供|連絡)|に対し|の(?:判断|指示)|と連携|を補佐")


def read_actors(text):
    acts = Actors()
    matches = [(m.start(), m.end(), ROLE_OF[m.group()]) for m in ROLE_RE.finditer(text)]
    # Group coordinated names: what follows the last of a group applies to all of it.
    groups, cur = [], []
    for m in matches:
        if cur and JOINER_RE.match(text[cur[-1][1]:m[0]]):
            cur.append(m)
        else:
            if cur:
                groups.append(cur)
            cur = [m]
    if cur:
        groups.append(cur)
    for g in groups:
        start, end = g[0][0], g[-1][1]
        after = text[end:end + 8]
        after = after[1:] if after.startswith("等") else after
        rest = text[end:text.find("。", end) if "。" in text[end:] else len(text)]
        if after.startswith("は"):
            mark, strength = "○", 10
        elif re.match(r"(?:の|に|が)許可", after):
            mark, strength = "許", 10
        elif after.startswith("の承認"):
            mark, strength = "承", 10
        elif after.startswith("が") and "場合" in rest[:40]:
            # 「職員等が…する場合は」: the condition is about them, so they act.
            mark, strength = "○", 9
        elif RECIPIENT_RE.match(after):
            mark, strength = "△", 10  # the one reported to, instructed, consulted
        elif re.match(r"が|の|間", after):
            # 「当該職員等が所属する課室等」「職員等の端末」: named in passing.
            mark, strength = "△", 8
        else:
            mark, strength = "△", 9
        for m in g:
            acts.add(m[2], mark, strength)
    return acts


GENERIC_RE = re.compile(r"([^。]*?)者は")


def generic_subject(text):
    """「情報を作成する者は」「情報資産を利用する者は」: anyone doing it, i.e. staff.
    Returns the phrase, shortened for the basis."""
    for m in GENERIC_RE.finditer(text):
        topic = m.group(1)
        topic = topic[max(topic.rfind("、"), topic.rfind("）")) + 1:]
        if not ROLE_RE.search(topic) and not ROLE_RE.search(m.group(0)[-6:]):
            phrase = topic + "者"
            return phrase if len(phrase) <= 12 else "…" + phrase[-11:]
    return None


def sentences(text):
    return [s for s in re.split(r"(?<=。)", text) if s]


# --------------------------------------------------------------------------------------
# The matrix.

SEC_TOKEN = re.compile(r"^[１-９1-9]$")
SUB_TOKEN = re.compile(r"^([１-９1-9])[．.]([１-９1-9])$")
PARA_TOKEN = re.compile(r"^[(（]([０-９0-9]{1,2})[)）]$")
ITEM_TOKEN = re.compile(r"^[①-⑳]$")
KATA_TOKEN = re.compile(r"^[(（]([ア-ン])[)）]$")


def id_level(tok, first):
    if first and SEC_TOKEN.match(tok):
        return 0
    if SUB_TOKEN.match(tok):
        return 1
    if PARA_TOKEN.match(tok):
        return 2
    if ITEM_TOKEN.match(tok):
        return 3
    if KATA_TOKEN.match(tok):
        return 4
    return None


def is_page_header(s):
    t = nows(s)
    return (t in ("権限・責任等一覧表", "区分", "項目", "（対策基準の例文の規定箇所）")
            or t.startswith("※"))


class Row:
    def __init__(self, key, suffix="", title_inline=False):
        self.key = key
        self.suffix = suffix
        self.title_parts = []
        self.marks = None
        self.title_inline = title_inline  # the title started on the id line
        self.page = 0
        self.truncated = False

    @property
    def id(self):
        return format_id(self.key, self.suffix)

    @property
    def title(self):
        return squeeze("".join(self.title_parts))


def parse_matrix(lines):
    start = next(i for i, l in enumerate(lines) if re.match(r"^\s*１\s+\(1\)\s+①", l))
    rows = []
    cur = [None] * 5           # section, subsection, paragraph, item, sub-item
    last = None                # the row being read
    after_row = False          # no stray line since the last row line
    page = 0
    subrows = 0
    for raw in lines[start:]:
        s = raw.strip()
        if not s:
            continue
        if is_page_header(s):
            if nows(s) == "権限・責任等一覧表":
                page += 1
            after_row = False
            continue
        toks = s.split()
        # A 区分 label can stick to the front of a row: 「組織体制 ② …」.
        if len(toks) > 1 and id_level(toks[0], True) is None \
                and id_level(toks[1], False) is not None:
            toks = toks[1:]
        levels = []
        while toks and id_level(toks[0], not levels) is not None:
            levels.append((id_level(toks[0], not levels), toks.pop(0)))
        marks = []
        while toks and toks[-1] in MARK_CHARS:
            marks.insert(0, toks.pop())
        text = "".join(toks)
        if levels:
            for lvl, tok in levels:
                if lvl == 0:
                    cur = [int(tok.translate(FW_DIGITS)), None, None, None, None]
                elif lvl == 1:
                    m = SUB_TOKEN.match(tok)
                    cur = [int(m.group(1).translate(FW_DIGITS)),
                           int(m.group(2).translate(FW_DIGITS)), None, None, None]
                elif lvl == 2:
                    cur[2:] = [int(PARA_TOKEN.match(tok).group(1).translate(FW_DIGITS)), None, None]
                elif lvl == 3:
                    cur[3:] = [tok, None]
                else:
                    cur[4] = KATA_TOKEN.match(tok).group(1)
            last = Row(tuple(cur), title_inline=bool(text))
            last.page = page
            if text:
                last.title_parts.append(text)
            if marks:
                last.marks = marks
            rows.append(last)
            subrows = 0
            after_row = True
        elif not text and marks:
            # Marks on their own line close a wrapped title.
            if last is None or last.marks is not None:
                raise SystemExit(f"marks with no row to take them: {s!r}")
            last.marks = marks
            after_row = True
        elif text and marks and after_row and last is not None and last.marks is not None:
            # An unnumbered line with marks right after a row: a sub-row of it.
            subrows += 1
            row = Row(last.key, suffix=f"-{subrows}")
            row.title_parts.append(text)
            row.marks = marks
            row.page = page
            rows.append(row)
        elif text and marks:
            # An item text that the extraction displaced among the 区分 labels (7.5): it
            # belongs to the row on this page that has no marks and whose id stood alone;
            # the text that row picked up was its 区分 label, not its title.
            target = next((r for r in reversed(rows)
                           if r.page == page and r.marks is None and not r.title_inline), None)
            if target is None:
                raise SystemExit(f"displaced item with no row to take it: {s!r}")
            target.title_parts = [text]
            target.marks = marks
            after_row = False
        elif last is not None and last.marks is None and not last.title_inline and after_row:
            # A wrapped title: the id stood alone, the title follows until the marks.
            last.title_parts.append(text)
        else:
            # A vertical 区分 label fragment (人的セ / キュリティ …): not data.
            after_row = False
    for r in rows:
        if r.marks is None:
            r.marks = []
    # The file ends inside the matrix: a last row with neither title nor marks is cut off.
    if rows and not rows[-1].title_parts and not rows[-1].marks:
        rows[-1].truncated = True
    return rows


# --------------------------------------------------------------------------------------
# Placing the marks.


def best_placement(marks, score):
    """Columns for the marks, strictly increasing, maximising the summed score."""
    n, k = len(marks), len(COL_IDS)
    NEG = float("-inf")
    # best[i][j]: best score placing marks[:i] with the last one in a column < j.
    best = [[NEG] * (k + 1) for _ in range(n + 1)]
    choice = [[None] * (k + 1) for _ in range(n + 1)]
    for j in range(k + 1):
        best[0][j] = 0.0
    for i in range(1, n + 1):
        for j in range(1, k + 1):
            # Either the i-th mark is left of column j-1, or in column j-1 itself.
            skip = best[i][j - 1]
            prev = best[i - 1][j - 1]
            take = prev + score(j - 1, marks[i - 1]) if prev > NEG else NEG
            if take >= skip and take > NEG:
                best[i][j], choice[i][j] = take, j - 1
            else:
                best[i][j], choice[i][j] = skip, choice[i][j - 1]
    if best[n][k] == NEG:
        raise SystemExit(f"too many marks: {marks}")
    cols, i, j = [], n, k
    while i > 0:
        c = choice[i][j]
        cols.append(c)
        i, j = i - 1, c
    return list(reversed(cols))


def names(cols):
    return ", ".join(cols)


def clip(text, limit=100):
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Inference:
    def __init__(self, nodes):
        self.nodes = nodes
        self.prior = Counter()       # (marks string, placement) -> count, from sure rows

    def context(self, key):
        """Subjects of the earlier items under the same parent: who the list is about
        when an item names nobody (8.3②「機密性２以上の情報は…発信してはならない」)."""
        parent = parent_key(key)
        out = Actors()
        if parent is None or parent not in self.nodes:
            return out
        for sib in self.nodes[parent].children:
            if sib == key:
                break
            for c in read_actors(full_text(self.nodes, sib)).subjects():
                out.add(c, "○")
        return out

    def clause_key(self, key):
        """The model-text node for a row. The matrix numbers 6.1(12) as 6.1(12)① though the
        model text has no items there: a childless ancestor stands for the whole clause."""
        if key in self.nodes:
            return key
        k = parent_key(key)
        while k is not None and k[2] is not None:
            if k in self.nodes:
                return k if not self.nodes[k].children else None
            k = parent_key(k)
        return None

    def clause(self, row):
        """The clause's text and who it names. Returns (text, actors, lead columns, how
        the lead was read, the generic 「…する者」 phrase if one stood for staff)."""
        key = self.clause_key(row.key)
        if key is None:
            return None, None, [], None, None
        text = full_text(self.nodes, key)
        if row.id in SUBROW_EXCERPTS:
            excerpt = SUBROW_EXCERPTS[row.id]
            if excerpt not in text:
                raise SystemExit(f"{row.id}: excerpt not in the clause")
            text = excerpt
        acts = read_actors(text)
        generic = None
        if not acts.subjects():
            generic = generic_subject(text)
            if generic:
                acts.add("staff", "○")
        lead_cols, lead_kind = [], None
        if not acts.subjects() and not row.suffix:
            # The subject may sit in the lead sentence of the enclosing clause
            # (「職員等は、…次の事項を遵守しなければならない。①…」), or only in its title
            # (「(９) CSIRT の設置・役割」), which is a weaker reading.
            k = parent_key(key)
            while k is not None and k in self.nodes and not lead_kind:
                lead = read_actors(lead_text(self.nodes, k))
                if lead.subjects():
                    lead_kind, cols, strength = "sentence", lead.subjects(), 10
                elif lead.order:
                    lead_kind, cols, strength = "title", lead.order, 9
                else:
                    cols = []
                for c in cols:
                    if c not in acts.kinds:
                        lead_cols.append(c)
                    acts.add(c, "○", strength)
                k = parent_key(k)
        return text, acts, lead_cols, lead_kind, generic

    def prior_score(self, marks_key, col, mark):
        """How often the sure rows put `mark` in `col`: first among rows with the same run
        of marks, else among all rows. Always below any score the clause text gives."""
        same = [(pl, v) for (m, pl), v in self.prior.items() if m == marks_key]
        pool = same or list((pl, v) for (_, pl), v in self.prior.items())
        hits = Counter()
        for pl, v in pool:
            for cm in pl:
                hits[cm] += v
        top = max(hits.values()) if hits else 0
        return 0.9 * hits[(col, mark)] / top if top else 0.0

    def infer(self, row, use_prior):
        marks = row.marks
        if not marks:
            if row.truncated:
                return {}, "none", ("the matrix is cut off at the end of the file: "
                                    "title from the heading, marks lost")
            return {}, "none", "no marks in the text (any cells were lost or are blank)"
        text, acts, lead_cols, lead_kind, generic = self.clause(row)
        if text is None:
            raise SystemExit(f"{row.id}: no clause in the model text")
        ctx = Actors()
        if not acts.subjects():
            ctx = self.context(self.clause_key(row.key))
        mention = {c: i for i, c in enumerate(acts.order)}
        marks_key = " ".join(marks)

        def score(j, mark):
            col = COL_IDS[j]
            if col in acts.kinds:
                # Mismatched marks still prefer a named actor over an unnamed column.
                return acts.kinds[col].get(mark, 6.0) - 0.01 * mention[col]
            if col in ctx.kinds:
                return 5.0 if mark in ctx.kinds[col] else 4.0
            return self.prior_score(marks_key, col, mark) if use_prior else 0.0

        cols = best_placement(marks, score)
        cells = {COL_IDS[j]: m for j, m in zip(cols, marks)}
        placed = [COL_IDS[j] for j in cols]
        named = set(acts.order)
        on_named = [c for c in placed if c in named]
        on_ctx = [c for c in placed if c not in named and c in ctx.kinds]
        unsupported = [c for c in placed if c not in named and c not in ctx.kinds]

        # 許 and 承 must fall on whoever the clause says permits or approves.
        typed_ok = all(m not in ("許", "承") or m in acts.kinds.get(c, {})
                       for c, m in cells.items())
        forced_by = None
        if not unsupported and not on_ctx and typed_ok:
            if set(placed) == named and len(named) == len(marks):
                forced_by = "clause"
            else:
                # Side duties can add names (6.1(17)②'s licence sentence); one sentence
                # that names exactly the marked actors forces it just as well.
                for sent in sentences(text):
                    sa = read_actors(sent)
                    if set(placed) == set(sa.order) and len(sa.order) == len(marks) and \
                            all(m in sa.kinds[c] or m == "△" for c, m in cells.items()):
                        forced_by = "sentence"
                        break
        # With one mark and no subject, the mark may belong to the unnamed actor the clause
        # is about rather than to the one it names in passing (8.1(2)「…事業者との間で」).
        has_subject = bool(acts.subjects()) or len(marks) > 1
        title_only = lead_kind == "title" and any(c in lead_cols for c in placed)
        only_generic = generic is not None and named == {"staff"}

        # A sub-row is read from a phrase of its parent clause, whose subject lies outside it.
        if row.suffix:
            has_subject = True
        if forced_by and has_subject and not title_only and not only_generic:
            conf = "high"
            who = ", ".join(f"{c} {cells[c]}" for c in placed)
            if row.suffix:
                basis = f"its phrase of the clause, 「{text[:14]}…」, names {who}"
            elif lead_cols and set(placed) <= set(lead_cols):
                basis = f"its lead sentence names {who}"
            elif lead_cols:
                basis = f"clause and its lead sentence name {who}"
            elif forced_by == "sentence":
                basis = f"its main sentence names {who}"
            else:
                basis = f"clause names {who}"
            if generic:
                basis += f" (「{generic}」 = staff)"
        elif not unsupported:
            conf = "medium"
            bits = []
            if generic:
                bits.append(f"「{generic}」 read as staff")
            if lead_cols:
                bits.append(f"{names(lead_cols)} from the lead {lead_kind}")
            if on_ctx:
                bits.append(f"no actor named; earlier items' subject {names(on_ctx)}")
            elif not has_subject:
                bits.append("clause has no subject")
            unmarked = [c for c in acts.order if c not in cells]
            if unmarked:
                bits.append(f"marks on {names(on_named)}; also names {names(unmarked)}")
            elif not on_ctx and not generic and not lead_cols:
                bits.append(f"marks on {names(on_named)}")
            basis = "; ".join(bits)
        else:
            conf = "low"
            n = len(unsupported)
            usual = f"{n} mark{'s' if n > 1 else ''} put where the matrix usually has them"
            if named:
                basis = f"names only {names(acts.order)}; {usual}"
            elif on_ctx:
                basis = f"earlier items' subject {names(on_ctx)}; {usual}"
            else:
                basis = f"clause names no actor; {usual}"
        return cells, conf, clip(basis)


# --------------------------------------------------------------------------------------
# YAML output (hand-written so the file reads like the rest of the library).

PLAIN_BAD_START = set("-?:,[]{}#&*!|>'\"%@`")


def scalar(s, flow=False):
    plain_ok = (
        s != ""
        and s[0] not in PLAIN_BAD_START
        and s == s.strip()
        and ": " not in s and " #" not in s and not s.endswith(":")
        and not (flow and any(ch in s for ch in ",[]{}"))
        and not re.fullmatch(r"[-+0-9.]+|true|false|null|yes|no|on|off|~", s, re.I)
    )
    if plain_ok:
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


HEADER = """\
# 権限・責任等一覧表 of the guideline, one row per item of the 対策基準 model text.
# Generated by scripts/extract-lg-matrix.py from the guideline's text; `marks` are the marks
# as the text gives them, left to right (empty cells were lost in the text, so which column
# holds each mark is inferred: `cells`, with `confidence`).
id: responsibilities
title: { ja: 権限・責任等一覧表, en: Responsibilities and authorities }
source: 地方公共団体における情報セキュリティポリシーに関するガイドライン 権限・責任等一覧表
description:
  ja: "ガイドラインの権限・責任等一覧表を、対策基準（例文）の項目ごとに収めたものです。元の表の文字からは空欄が失われているため、各記号がどの列のものかは条文から読み取っています（「列の読取り」が確実・推定・推測のどれかを示します）。団体で割当てが異なる項目は、CISO 又は統括情報セキュリティ責任者が理由を付けて修正でき、修正は履歴とともに残ります。"
  en: >-
    The guideline's 権限・責任等一覧表, one row per item of the model control standard. The
    text of the table lost its empty cells, so which column holds each mark is read from the
    clause (the column reading says how sure it is). Where the municipality assigns an item
    differently, its CISO or chief information security manager corrects it with the reason;
    every correction is kept.
# Who corrects it: 1(1)① 「CISO は、本市における全てのネットワーク、情報システム等の情報資産の
# 管理及び情報セキュリティ対策に関する最終決定権限及び責任を有する。」 and 1(2)③ 「統括情報セキュ
# リティ責任者は、本市の全てのネットワークにおける情報セキュリティ対策に関する権限及び責任を有
# する。」 The seed names nobody to keep the table: these two are mamori's choice.
corrected_by:
  - { role: lg_ciso, of: own_organisation }
  - { role: lg_chief, of: own_organisation }
"""


def render(out_rows):
    lines = [HEADER.rstrip("\n"), "columns:"]
    for cid, role, ja, en in COLUMNS:
        role_part = f", role: {role}" if role else ""
        label = f"{{ ja: {scalar(ja, True)}, en: {scalar(en, True)} }}"
        lines.append(f"  - {{ id: {cid}{role_part}, label: {label} }}")
    lines.append("marks:")
    for mid, ja, en in MARKS:
        label = f"{{ ja: {scalar(ja, True)}, en: {scalar(en, True)} }}"
        lines.append(f'  - {{ id: "{mid}", label: {label} }}')
    lines.append("rows:")
    for r in out_rows:
        lines.append(f'  - id: "{r["id"]}"')
        lines.append(f"    category: {{ ja: {scalar(r['category'], True)} }}")
        lines.append(f"    title: {{ ja: {scalar(r['title'], True)} }}")
        lines.append(f'    marks: "{r["marks"]}"')
        if r["cells"]:
            cells = ", ".join(f'{c}: "{m}"' for c, m in r["cells"])
            lines.append(f"    cells: {{ {cells} }}")
        lines.append(f"    confidence: {r['confidence']}")
        lines.append(f"    basis: {scalar(r['basis'])}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------


def build(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    nodes, headings = parse_model(lines)
    rows = parse_matrix(lines)

    inf = Inference(nodes)
    # Pass 1 without priors; the sure rows then tell where the matrix usually puts a given
    # run of marks, which pass 2 uses for marks the clause text cannot place.
    for r in rows:
        cells, conf, _ = inf.infer(r, use_prior=False)
        if conf in ("high", "medium"):
            inf.prior[(" ".join(r.marks), frozenset(cells.items()))] += 1

    out = []
    seen = set()
    for r in rows:
        rid = r.id
        if rid in seen:
            raise SystemExit(f"duplicate id {rid}")
        seen.add(rid)
        sec, sub = r.key[0], r.key[1]
        category = headings.get((sec, sub)) if sub else headings.get((sec, None))
        cells, conf, basis = inf.infer(r, use_prior=True)
        title = r.title
        if not title and r.key[2] is None and r.key[3] is None:
            title = category  # 9.3: only its number survived; its heading names it
        if rid in DIGEST_EXAMPLES:
            if cells != DIGEST_EXAMPLES[rid]:
                raise SystemExit(f"{rid}: inferred {cells}, digest says {DIGEST_EXAMPLES[rid]}")
            if rid not in DIGEST_AMBIGUOUS and conf != "high":
                conf, basis = "high", clip(f"as the seed's digest reads it; {basis}")
        ordered = sorted(cells.items(), key=lambda cm: COL_INDEX[cm[0]])
        out.append({
            "id": rid,
            "section": f"{sec}.{sub}" if sub else f"{sec}",
            "category": category,
            "title": title,
            "marks": " ".join(r.marks),
            "cells": ordered,
            "confidence": conf,
            "basis": basis,
        })
    return out


def check(out):
    problems = []
    ids = [r["id"] for r in out]
    if len(ids) != len(set(ids)):
        problems.append("ids are not unique")
    marks = Counter()
    for r in out:
        seq = " ".join(m for _, m in sorted(r["cells"], key=lambda cm: COL_INDEX[cm[0]]))
        if seq != r["marks"]:
            problems.append(f"{r['id']}: cells give {seq!r}, marks are {r['marks']!r}")
        if (r["confidence"] == "none") != (r["marks"] == ""):
            problems.append(f"{r['id']}: confidence {r['confidence']} with marks {r['marks']!r}")
        marks.update(r["marks"].split())
    per = Counter(r["section"] for r in out)
    if dict(per) != EXPECTED_ROWS:
        for k in sorted(set(per) | set(EXPECTED_ROWS)):
            if per.get(k) != EXPECTED_ROWS.get(k):
                problems.append(f"rows in {k}: {per.get(k)} (digest: {EXPECTED_ROWS.get(k)})")
    if dict(marks) != EXPECTED_MARKS:
        problems.append(f"marks {dict(marks)} (digest: {EXPECTED_MARKS})")
    conf = Counter(r["confidence"] for r in out)
    print(f"rows {len(out)}; marks {dict(marks)}; confidence {dict(conf)}", file=sys.stderr)
    for p in problems:
        print("problem: " + p, file=sys.stderr)
    return not problems


def main(argv):
    args = [a for a in argv[1:] if a != "--check"]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    out = build(args[0])
    if "--check" in argv:
        return 0 if check(out) else 1
    sys.stdout.write(render(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
