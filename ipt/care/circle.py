"""The closeness circle, drawn by hand as an accessible SVG.

The patient ("You") sits in the centre of three rings (1 = closest). Each person gets a name badge
in their ring. Badges never overlap: people are spread evenly by angle within their ring, a
crowded ring alternates its badges between an inner and an outer track, and a ring whose badges
still touch (each other or the ring inside it) grows until they do not. So every badge stays in
its own ring and no leader lines are needed.

No style element and no style attributes (the page's CSP forbids inline styles): only
presentation attributes (fill, stroke, font-size). Every piece of text is escaped, and characters
that XML 1.0 cannot carry are dropped, so any name gives valid XML.
"""

import html
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ipt.care.models import InventoryPerson, Relation

RINGS = (1, 2, 3)
RING_NAMES = {1: "Ring 1, closest", 2: "Ring 2", 3: "Ring 3, furthest"}
RING_CAPTIONS = {1: "1", 2: "2", 3: "3"}

FONT_SIZE = 16
FONT_FAMILY = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
PAD_X, PAD_Y = 6.0, 4.0
LABEL_HEIGHT = FONT_SIZE * 1.25 + 2 * PAD_Y
MAX_LABEL_CHARS = 20
GAP = 3.0  # the least space kept between two boxes
DOT_RADIUS = 4.0
CENTRE_RADIUS = 30.0
# Placement radius of each ring and the least distance between neighbouring rings.
MIN_RADIUS = {1: 75.0, 2: 150.0, 3: 225.0}
MIN_RING_SPACING = 75.0
TRACK_OFFSET = LABEL_HEIGHT  # inner/outer track of a crowded ring
GROWTH_STEP = 6.0
MAX_GROWTH_STEPS = 1000  # far more than any inventory needs (2% growth a step)
TURNS = (0.0, 0.25, 0.5, 0.75)
RING_PADDING = 14.0
MARGIN = 12.0

RING_FILL = {1: "#c6dbee", 2: "#dde9f5", 3: "#f0f5fb"}
INK, BRAND, LINE = "#1b1f24", "#1f5f8b", "#4a5563"

# Characters XML 1.0 cannot carry (control characters, surrogates, U+FFFE and U+FFFF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class CirclePerson:
    name: str
    ring: int
    relation: str = ""  # shown as is (a display label)
    is_deceased: bool = False


@dataclass(frozen=True)
class Box:
    x: float  # left
    y: float  # top
    width: float
    height: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    def overlaps(self, other: "Box", gap: float = 0.0) -> bool:
        return not (
            self.x + self.width + gap <= other.x
            or other.x + other.width + gap <= self.x
            or self.y + self.height + gap <= other.y
            or other.y + other.height + gap <= self.y
        )


@dataclass(frozen=True)
class Placement:
    person: CirclePerson
    label: str  # the text drawn (possibly shortened)
    anchor: tuple[float, float]  # the person's place in their ring (the badge's centre)
    box: Box  # the name badge, centred on the anchor


@dataclass
class Layout:
    radii: dict[int, float]  # placement radius per ring
    bounds: dict[int, float]  # outer edge of each ring
    placements: list[Placement] = field(default_factory=list)
    centre_box: Box | None = None
    caption_boxes: dict[int, Box] = field(default_factory=dict)
    view_box: Box | None = None


# Inputs ------------------------------------------------------------------------------------------


def relation_label(value: str) -> str:
    return Relation(value).label if value in Relation.values else value


def people_from_inventory(persons: Iterable[InventoryPerson]) -> list[CirclePerson]:
    return [
        CirclePerson(
            name=person.name,
            ring=person.closeness_ring,
            relation=person.get_relation_display(),
            is_deceased=person.is_deceased,
        )
        for person in persons
        if not person.is_removed
    ]


def snapshot_payload(persons: Iterable[InventoryPerson]) -> str:
    """The JSON a ClosenessSnapshot keeps: who was in which ring at that moment."""
    rows = [
        {
            "name": person.name,
            "relation": person.relation,
            "ring": person.closeness_ring,
            "is_deceased": person.is_deceased,
        }
        for person in persons
        if not person.is_removed
    ]
    return json.dumps(rows, ensure_ascii=False)


def people_from_snapshot(payload: str) -> list[CirclePerson]:
    """Tolerant reading: a snapshot is a record, so a malformed row is skipped, never fatal."""
    try:
        rows = json.loads(payload or "[]")
    except ValueError:
        return []
    people = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        try:
            ring = int(row.get("ring", 2))
        except (TypeError, ValueError):
            ring = 2
        people.append(
            CirclePerson(
                name=str(row.get("name", "")),
                ring=min(max(ring, 1), 3),
                relation=relation_label(str(row.get("relation", ""))),
                is_deceased=bool(row.get("is_deceased", False)),
            )
        )
    return people


def by_ring(people: Iterable[CirclePerson]) -> list[tuple[int, str, list[CirclePerson]]]:
    """The text alternative: (ring, ring name, people) for every ring, closest first."""
    people = list(people)
    return [(ring, RING_NAMES[ring], [p for p in people if p.ring == ring]) for ring in RINGS]


# Text measurement ------------------------------------------------------------------------------

_NARROW = set("iljIft.,:;'!|() []r")
_WIDE = set("mwMW@%")


def estimate_text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """A generous estimate of the drawn width of ``text`` in a sans-serif face.

    Generous on purpose: a badge a little too wide costs space; one too narrow would overlap.
    """
    total = 0.0
    for char in text:
        if char in _NARROW:
            total += 0.34
        elif char in _WIDE:
            total += 0.92
        elif char == " ":
            total += 0.3
        elif char.isupper() or char.isdigit():
            total += 0.7
        elif ord(char) > 0x2E7F:  # CJK and other full-width scripts
            total += 1.05
        else:
            total += 0.6
    return total * font_size * 1.08


def clean_text(text: str) -> str:
    return _NOT_XML.sub("", text)


def short_label(name: str) -> str:
    name = " ".join(clean_text(name).split()) or "?"
    return name if len(name) <= MAX_LABEL_CHARS else name[: MAX_LABEL_CHARS - 1].rstrip() + "…"


def label_box(label: str, centre_x: float, centre_y: float) -> Box:
    width = estimate_text_width(label) + 2 * PAD_X
    return Box(centre_x - width / 2, centre_y - LABEL_HEIGHT / 2, width, LABEL_HEIGHT)


# Layout ----------------------------------------------------------------------------------------


def _nearest_distance(box: Box) -> float:
    """Distance from the centre of the circle to the nearest point of the box."""
    dx = max(box.x - 0.0, 0.0, 0.0 - (box.x + box.width))
    dy = max(box.y - 0.0, 0.0, 0.0 - (box.y + box.height))
    return math.hypot(dx, dy)


def _farthest_distance(box: Box) -> float:
    return max(math.hypot(x, y) for x in (box.x, box.x + box.width) for y in (box.y, box.y + box.height))


def _ring_placements(
    members: list[CirclePerson], ring: int, radius: float, turn: float = 0.0
) -> list[Placement]:
    """Badges spread evenly by angle; a crowded ring alternates an inner and an outer track.

    ``turn`` rotates the ring by that fraction of the angle between two neighbours.
    """
    count = len(members)
    crowded = count > 4
    # Rings start at different angles so their badges do not line up along one spoke.
    start = -math.pi / 2 + ((ring - 1) / 4 + turn) * 2 * math.pi / max(count, 1)
    placements = []
    for index, person in enumerate(members):
        angle = start + 2 * math.pi * index / count
        track = radius + ((TRACK_OFFSET if index % 2 else -TRACK_OFFSET) if crowded else 0.0)
        x, y = track * math.cos(angle), track * math.sin(angle)
        label = short_label(person.name)
        placements.append(Placement(person, label, (x, y), label_box(label, x, y)))
    return placements


def _fits(placements: list[Placement], inner_edge: float) -> bool:
    boxes = [placement.box for placement in placements]
    if any(_nearest_distance(box) < inner_edge for box in boxes):
        return False
    return not any(
        boxes[i].overlaps(boxes[j], GAP) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
    )


def _smallest_fitting_ring(
    members: list[CirclePerson], ring: int, radius: float, inner_edge: float
) -> tuple[float, list[Placement]]:
    """Grow the ring (trying a few rotations at each size) until its badges touch nothing."""
    # No ring can be smaller than its badges' heights laid end to end around it.
    radius = max(radius, len(members) * (LABEL_HEIGHT + GAP) / (2 * math.pi))
    placements: list[Placement] = []
    for _ in range(MAX_GROWTH_STEPS):
        for turn in TURNS:
            placements = _ring_placements(members, ring, radius, turn)
            if _fits(placements, inner_edge):
                return radius, placements
        radius += max(GROWTH_STEP, radius * 0.02)
    return radius, placements  # not reached for any real inventory


def layout(people: Iterable[CirclePerson]) -> Layout:
    """Place every badge; each ring grows until its badges fit without touching anything."""
    people = [p if p.ring in RINGS else CirclePerson(p.name, 2, p.relation, p.is_deceased) for p in people]
    centre_radius = max(CENTRE_RADIUS, estimate_text_width("You") / 2 + PAD_X)
    result = Layout(
        radii={},
        bounds={},
        centre_box=Box(-centre_radius, -centre_radius, 2 * centre_radius, 2 * centre_radius),
    )
    inner_edge = centre_radius + 2 * GAP  # what the next ring's badges must stay outside of
    previous_radius = 0.0
    previous_outer = centre_radius
    for ring in RINGS:
        members = [p for p in people if p.ring == ring]
        radius, placements = _smallest_fitting_ring(
            members, ring, max(MIN_RADIUS[ring], previous_radius + MIN_RING_SPACING), inner_edge
        )
        result.radii[ring] = radius
        result.placements.extend(placements)
        nearest = min((_nearest_distance(p.box) for p in placements), default=radius - LABEL_HEIGHT)
        if ring > 1:
            result.bounds[ring - 1] = (previous_outer + nearest) / 2
        outer = max((_farthest_distance(p.box) for p in placements), default=radius + LABEL_HEIGHT)
        inner_edge = outer + 4 * GAP
        previous_radius, previous_outer = radius, outer
    result.bounds[3] = previous_outer + RING_PADDING
    _place_captions(result)
    result.view_box = _view_box(result)
    return result


def _place_captions(result: Layout) -> None:
    """Ring numbers just inside each ring's outer edge, at the first free angle from the bottom."""
    taken = [placement.box for placement in result.placements]
    for ring in RINGS:
        distance = result.bounds[ring] - LABEL_HEIGHT / 2 - 1
        for step in range(0, 72):
            angle = math.pi / 2 + math.radians(5 * ((step + 1) // 2) * (1 if step % 2 else -1))
            box = label_box(RING_CAPTIONS[ring], distance * math.cos(angle), distance * math.sin(angle))
            if not any(box.overlaps(other, GAP) for other in taken):
                result.caption_boxes[ring] = box
                taken.append(box)
                break


def _view_box(result: Layout) -> Box:
    edge = result.bounds[3]
    left, top, right, bottom = -edge, -edge, edge, edge
    for box in [placement.box for placement in result.placements]:
        left, top = min(left, box.x), min(top, box.y)
        right, bottom = max(right, box.x + box.width), max(bottom, box.y + box.height)
    return Box(left - MARGIN, top - MARGIN, right - left + 2 * MARGIN, bottom - top + 2 * MARGIN)


# Drawing ---------------------------------------------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(clean_text(text), quote=True)


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def describe(people: Iterable[CirclePerson]) -> str:
    """One sentence per ring, for the SVG's <desc> (screen readers)."""
    parts = []
    for _ring, name, members in by_ring(people):
        names = ", ".join(_person_text(p) for p in members) or "nobody"
        parts.append(f"{name}: {names}.")
    return "You are in the centre. " + " ".join(parts)


def _person_text(person: CirclePerson) -> str:
    text = " ".join(person.name.split()) or "?"
    if person.relation:
        text += f" ({person.relation}"
        text += ", died)" if person.is_deceased else ")"
    elif person.is_deceased:
        text += " (died)"
    return text


def render_svg(people: Iterable[CirclePerson], *, title: str, svg_id: str = "circle") -> str:
    """The circle as one <svg> element: valid standalone XML and safe to inline in a page."""
    people = list(people)
    plan = layout(people)
    view = plan.view_box
    assert view is not None and plan.centre_box is not None
    svg_id = re.sub(r"[^A-Za-z0-9_-]", "", svg_id) or "circle"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{_n(view.x)} {_n(view.y)} {_n(view.width)} '
        f'{_n(view.height)}" width="{_n(view.width)}" height="{_n(view.height)}" role="img" '
        f'aria-labelledby="{svg_id}-title {svg_id}-desc" class="closeness-circle" '
        f'font-family="{_esc(FONT_FAMILY)}" font-size="{FONT_SIZE}">',
        f'<title id="{svg_id}-title">{_esc(title)}</title>',
        f'<desc id="{svg_id}-desc">{_esc(describe(people))}</desc>',
    ]
    for ring in reversed(RINGS):
        parts.append(
            f'<circle cx="0" cy="0" r="{_n(plan.bounds[ring])}" fill="{RING_FILL[ring]}" '
            f'stroke="{LINE}" stroke-width="1"/>'
        )
    for ring, box in plan.caption_boxes.items():
        x, y = box.centre
        parts.append(
            f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle" dominant-baseline="central" '
            f'fill="{LINE}" font-size="{FONT_SIZE - 2}">{RING_CAPTIONS[ring]}</text>'
        )
    for placement in plan.placements:
        parts.append(_badge(placement))
    parts.append(
        f'<circle cx="0" cy="0" r="{_n(plan.centre_box.width / 2)}" fill="{BRAND}"/>'
        f'<text x="0" y="0" text-anchor="middle" dominant-baseline="central" fill="#ffffff" '
        f'font-weight="bold">You</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def _badge(placement: Placement) -> str:
    box = placement.box
    x, y = box.centre
    dash = ' stroke-dasharray="4 3"' if placement.person.is_deceased else ""
    return (
        f"<g><title>{_esc(_person_text(placement.person))}</title>"
        f'<rect x="{_n(box.x)}" y="{_n(box.y)}" width="{_n(box.width)}" height="{_n(box.height)}" '
        f'rx="6" ry="6" fill="#ffffff" stroke="{BRAND}" stroke-width="1.5"{dash}/>'
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle" dominant-baseline="central" '
        f'fill="{INK}">{_esc(placement.label)}</text></g>'
    )
