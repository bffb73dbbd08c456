"""Places in outage notices and in what customers write, normalised so that one place written differently is one
place: 花家地小区 / 花家地 / 花家地社区, full-width digits, 三号楼 / 3号楼 / 3栋, building ranges (1-5号楼, 1至5栋,
1、3号楼), villages (王各庄村, 王各庄村3组), streets (望京街道), roads (建设路12号院) and districts (朝阳区).

There is no gazetteer: a notice for a district or a street covers a 小区 only when the customer's address names that
district or street too; a notice for a 小区 is "part" of a street the customer asked about only when the notice
names the street. Both sides go through the same parser, so a place read at the wrong level on one side is read
the same way on the other.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache

CJK = "\u4e00-\u9fff"
LEVELS = ("district", "street", "road", "estate", "village")   # coarse to fine (estate and village: same rank)
RANK = {"district": 0, "street": 1, "road": 2, "estate": 3, "village": 3}

_NUMERAL = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_NUMBERED = re.compile(r"([零〇一二两三四五六七八九十]{1,4})(?=号楼|号院|栋|幢|座|单元|组|队|号|期|至|到|-|~|、)")
_DROP = re.compile(r"[\s。！？!?：:；;\"'“”‘’（）()《》【】<>「」]|的")
_BUILDING_WORD = r"(?:号楼|栋|幢|座|号|组|队)"
_SPAN_WORD = r"(?:-|—|–|~|至|到)"
# A 区 that is part of an estate, not a district: 小区, 社区, 园区…, numbered sections (北一区, A区, 3区) and 地区.
_NOT_DISTRICT = re.compile(r"(?:小|社|园|片|校|景|街|厂|矿|住宅|生活|宿舍|地|[A-Za-z\d一二三四五六七八九十])区$")
_GENERIC_ESTATE = r"住宅小区|小区|社区居委会|社区|居委会|家属院|家属区|生活区|宿舍区"
_NAMED_ESTATE = r"花园|家园|嘉园|新村|公寓|大厦|广场|山庄|公馆|小镇|新城|大院|宿舍|苑|园|里|城|府|庭|湾|院|坊|邸|阁|轩"
# A section of an estate (东区, 北一区, A区, 二期): dropped, the estate is the place.
_SECTION = re.compile(r"(?:[东西南北中][一二三四五六七八九十A-Za-z\d]*|[一二三四五六七八九十A-Za-z\d]+)[区片期]")

_PROVINCE = re.compile(rf"[{CJK}]{{2,7}}?(?:省|自治区)")
_CITY = re.compile(rf"[{CJK}]{{2,7}}?市(?!场)")
_DISTRICT = re.compile(rf"([{CJK}]{{1,6}}?)(?:区|县|旗)")
_STREET = re.compile(rf"([{CJK}]{{1,8}}?)(?:街道办事处|街道办|街道|地区|镇|乡)")
_ROAD = re.compile(rf"[{CJK}\d]{{1,10}}?(?:大街|大道|路|街|巷|胡同|弄)(?![道区])")
_VILLAGE = re.compile(rf"([{CJK}]{{1,8}}?)(?:村民委员会|村委会|村)")
_ESTATE_GENERIC = re.compile(rf"([{CJK}\dA-Za-z]{{1,12}}?)(?:{_GENERIC_ESTATE})")
_ESTATE_NAMED = re.compile(rf"[{CJK}\dA-Za-z]{{1,12}}?(?:{_NAMED_ESTATE})")
_BUILDINGS = re.compile(rf"\d+{_BUILDING_WORD}?(?:{_SPAN_WORD}\d+{_BUILDING_WORD}?|[、,，和及]\d+{_BUILDING_WORD}?)*"
                        rf"{_BUILDING_WORD}")
_SPAN = re.compile(rf"(\d+){_BUILDING_WORD}?{_SPAN_WORD}(\d+)")
MAX_BUILDINGS = 500
MAX_BARE_NAME_CHARS = 14
_NOT_A_NAME = re.compile(r"[吗呢？?]|怎么|什么|多少|为什么|为啥|哪|能不能|可以|是不是|报修|投诉|缴费|交费|人工|停|没|不")

# Words around a place in a sentence (我们小区今天停气吗): the sentence is cut at them before places are read.
_BREAK = re.compile(r"[\s，,。.!！?？：:；;]|\d+月\d+[日号]?|\d+[点时]|停电|停气|停暖|停热|停供|停水|没电|没气|没暖气|没有|断电|断气|是不是|"
                    r"什么时候|啥时候|怎么|咋|为什么|为啥|有没有|会不会|几点|多久|恢复|通知|提醒|今天|明天|后天|"
                    r"今晚|今早|明早|今儿个|今儿|这周|本周|下周|周末|现在|目前|从早上|早上|上午|中午|下午|晚上|一直|"
                    r"整个|整栋|整条|附近|停|没")
_LEAD = re.compile(r"^(?:请问|你好|您好|喂|麻烦|帮我|帮忙|查一下|查查|问一下|我想问|我们家|我家|俺家|咱家|我们|咱们|俺们|"
                   r"我|咱|俺|家里|这边|那边|这里|那里|这片|那片|住在|住|在|是|地址|的|就是|那个|嗯)+")
_TAIL = re.compile(r"(?:的|了|都|也|还|吗|呢|吧|啊|呀|这边|那边|这里|那里|这片|一带)+$")


class Coverage(str, Enum):
    COVERS = "covers"    # the notice covers the place (the whole of it)
    PART = "part"        # the notice covers part of it: some buildings, or a smaller area inside it


@dataclass(frozen=True)
class Place:
    district: str | None = None            # 朝阳 (朝阳区)
    street: str | None = None              # 望京 (望京街道, 望京镇)
    road: str | None = None                # 建设路
    estate: str | None = None              # 花家地 (花家地小区, 花家地社区), 锦绣花园, 12号院
    village: str | None = None             # 王各庄 (王各庄村)
    name: str | None = None                # a bare name of unknown level (花家地, 望京)
    buildings: frozenset[int] = field(default_factory=frozenset)   # 3号楼 → {3}; 1-5号楼 → {1..5}; groups (组)
    text: str = ""                         # the place as written, tidied

    def components(self) -> dict[str, str]:
        return {level: value for level in LEVELS if (value := getattr(self, level))}

    @property
    def finest(self) -> str | None:
        levels = self.components()
        return max(levels, key=RANK.__getitem__) if levels else None

    @property
    def key(self) -> str:
        """One string per place however it was written (the same 小区, building and street give the same key)."""
        parts = [f"{level}={value}" for level, value in self.components().items()]
        if self.name:
            parts.append(f"name={self.name}")
        if self.buildings:
            parts.append("b=" + ",".join(map(str, sorted(self.buildings))))
        return ";".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {**self.components(), **({"name": self.name} if self.name else {}),
                "buildings": sorted(self.buildings), "text": self.text}

    @classmethod
    def from_dict(cls, data: dict) -> Place:
        return cls(**{level: data.get(level) for level in LEVELS}, name=data.get("name"),
                   buildings=frozenset(int(b) for b in data.get("buildings") or []), text=str(data.get("text") or ""))


def _numeral(text: str) -> str:
    """一 → 1, 十二 → 12, 二十 → 20, 一二 → 12 (read digit by digit)."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        return str((_NUMERAL.get(tens, 1) if tens else 1) * 10 + (_NUMERAL.get(ones, 0) if ones else 0))
    return "".join(str(_NUMERAL[c]) for c in text if c in _NUMERAL)


def normalise(text: str) -> str:
    """Full-width to half-width (NFKC), no spaces or quotes, Chinese building numbers as digits (三号楼 → 3号楼)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _DROP.sub("", text)
    return _NUMBERED.sub(lambda m: _numeral(m.group(1)), text)


def _buildings(span: str) -> frozenset[int]:
    numbers: set[int] = set()
    for match in _SPAN.finditer(span):
        low, high = sorted((int(match.group(1)), int(match.group(2))))
        if high - low <= MAX_BUILDINGS:
            numbers.update(range(low, high + 1))
    numbers.update(int(n) for n in re.findall(r"\d+", _SPAN.sub("", span)))
    return frozenset(numbers)


def _components(tidy: str) -> tuple[dict[str, str], int]:
    """The suffix-marked levels at the start of a normalised address, and where they end."""
    found: dict[str, str] = {}
    pos = 0
    for skip in (_PROVINCE, _CITY):
        match = skip.match(tidy, pos)
        if match:
            pos = match.end()
    match = _DISTRICT.match(tidy, pos)
    if match and not _NOT_DISTRICT.search(match.group(0)):
        found["district"], pos = match.group(1), match.end()
    match = _STREET.match(tidy, pos)
    if match:
        found["street"], pos = match.group(1), match.end()
    match = _ROAD.match(tidy, pos)
    if match:
        found["road"], pos = match.group(0), match.end()
    match = _VILLAGE.match(tidy, pos)
    if match:
        found["village"], pos = match.group(1), match.end()
        return found, pos
    match = _ESTATE_GENERIC.match(tidy, pos)
    if match:
        found["estate"], pos = match.group(1), match.end()
    else:
        match = _ESTATE_NAMED.match(tidy, pos)
        if match and not re.search(rf"\d+{_BUILDING_WORD}?[楼院]?$", match.group(0)[:-1] or "x"):
            found["estate"], pos = match.group(0), match.end()
        elif match and re.fullmatch(r"\d+号院", match.group(0)):      # 建设路12号院
            found["estate"], pos = match.group(0), match.end()
    section = _SECTION.match(tidy, pos)
    if found and section:
        pos = section.end()
    return found, pos


@lru_cache(maxsize=4096)
def parse_place(text: str, *, strict: bool = False) -> Place | None:
    """The place an address names. strict (a piece of a sentence): only what a suffix marks as a place (区, 街道,
    路, 村, 小区, 花园…); otherwise (an answer to "which 小区?", a notice's area) a bare name is a place too.
    Remembered (a Place never changes): every notice lookup reads the published notices' areas again."""
    tidy = _TAIL.sub("", _LEAD.sub("", normalise(text)))
    if not tidy:
        return None
    found, pos = _components(tidy)
    name = None
    if not found:
        if strict:
            return None
        start = pos
        head = re.match(rf"[{CJK}A-Za-z]+", tidy[start:])
        if head is None or len(re.findall(f"[{CJK}]", head.group(0))) < 2:
            return None
        name, pos = head.group(0), start + head.end()
    building = _BUILDINGS.match(tidy, pos)
    buildings = _buildings(building.group(0)) if building else frozenset()
    return Place(**found, name=name, buildings=buildings, text=tidy[:building.end() if building else pos])


def find_place(sentence: str) -> Place | None:
    """The place a sentence names (我们花家地小区3号楼今天停气吗 → 花家地小区3号楼), or None."""
    best: Place | None = None
    for piece in _BREAK.split(normalise(sentence)):
        place = parse_place(piece, strict=True)
        if place is not None and (best is None or _detail(place) > _detail(best)):
            best = place
    return best


def place_in_answer(text: str) -> Place | None:
    """The place in an answer to "which 小区 or street?": one a suffix marks anywhere in it (花家地小区3号楼, 王各庄村,
    望京街道), or a short bare name (花家地); None for a question, a complaint or anything longer."""
    place = find_place(text)
    if place is not None:
        return place
    tidy = normalise(text)
    if len(tidy) > MAX_BARE_NAME_CHARS or _NOT_A_NAME.search(tidy):
        return None
    return parse_place(tidy)


def _detail(place: Place) -> tuple[int, int]:
    return len(place.components()) + bool(place.buildings), len(place.text)


def same_name(a: str, b: str) -> bool:
    """花家地 and 望京花家地 name one 小区 (a longer name that only adds an area in front); 东王各庄 and 王各庄 do not
    (one character in front makes another place)."""
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    return len(short) >= 2 and len(long) - len(short) >= 2 and long.endswith(short)


def coverage(area: Place, place: Place) -> Coverage | None:
    """Whether a notice's area covers the customer's place, all of it or part of it; None when it does not."""
    if area.name or place.name:
        return _by_name(area, place)
    mine, theirs = area.components(), place.components()
    if any(not same_name(value, theirs[level]) for level, value in mine.items() if level in theirs):
        return None
    finest = area.finest
    if finest is None:
        return None
    if finest in theirs:
        return _buildings_cover(area, place)
    asked = place.finest
    if asked is not None and RANK[asked] < RANK[finest] and asked in mine:
        return Coverage.PART    # asked about 望京街道; the notice is for a 小区 it names inside 望京街道
    return None


def _by_name(area: Place, place: Place) -> Coverage | None:
    """A bare name on either side (花家地, 望京): the place if any level of the other side has that name."""
    if area.name:
        names = [place.name] if place.name else list(place.components().values())
        return _buildings_cover(area, place) if any(same_name(area.name, value) for value in names) else None
    levels = [level for level, value in area.components().items() if same_name(value, place.name or "")]
    if not levels:
        return None
    return _buildings_cover(area, place) if levels[-1] == area.finest else Coverage.PART


def _buildings_cover(area: Place, place: Place) -> Coverage | None:
    """The same 小区 or village: all of it, the customer's building in the notice's range, or part of it."""
    if not area.buildings:
        return Coverage.COVERS
    if not place.buildings:
        return Coverage.PART
    return Coverage.COVERS if place.buildings <= area.buildings else None


def best_coverage(areas: list[Place], place: Place) -> tuple[Place, Coverage] | None:
    """The notice area that covers the place best: a whole cover before a part."""
    found = [(area, c) for area in areas if (c := coverage(area, place)) is not None]
    found.sort(key=lambda pair: pair[1] is not Coverage.COVERS)
    return found[0] if found else None
