"""Everyday and dialect wording read with the handbook's words beside it, for knowledge search.

Customers say 给个说法 where the handbook says 答复, 修电的 for 抢修人员, 礼拜天 for 周日, 俺们村 for 农村. The
search keeps what the customer wrote and adds the handbook's words for each such phrase, so an entry written in
the handbook's language is found for a question in the customer's. Unlike core/spelling.py (a typo is replaced,
keeping positions), nothing here is replaced: the words are only appended to the search text.
"""
from __future__ import annotations

import re

# (the customer's phrases, the handbook's words for them)
_PHRASES: tuple[tuple[str, str], ...] = (
    (r"给个?(?:说法|准话|回话|回信儿?|回音)|回个?话|回信儿|(?:回|答复)(?:我|俺)(?!家)", "答复 回复"),
    (r"回应|回音", "响应"),
    (r"(?:没有?|不)(?:提前)?(?:通知|打招呼)(?:的|就)?停电", "非计划停电"),
    (r"(?:啥|什么|哪个|几点)(?:时候|时段|时间)用(?:电|得)多|用电高峰", "用电时段 用电量"),
    (r"推来推去|踢皮球|推给别人|找这个找那个|互相推", "首问负责制 推诿"),
    (r"来人|派人来|派个人|来个人|有人来|有人上门", "上门 到达现场"),
    (r"修电的|修线的|抢修的人|修理工", "抢修人员"),
    (r"查电的|查表的|查暖气的|查燃气的", "检查人员"),
    # 查用热的人 (someone who checks how you use heat); not 查燃气/查电表, which are also inside 检查燃气管道, 检查电表
    (r"查(?:用|窃|偷)电", "用电检查"), (r"查(?:用|窃|偷)热", "用热检查"), (r"查(?:用|窃|偷)气", "用气检查"),
    (r"法子|招儿|路子", "方式 办法"),
    (r"瞅瞅|瞅一?眼|看一?看|瞧瞧", "查询"),
    (r"礼拜天|礼拜日|星期天|星期日", "周日"), (r"礼拜六|星期六", "周六"),
    (r"逮着|逮住|抓到|抓住|被抓|被逮", "查获"),
    (r"掐了?电|拉闸|断(?:了|我家的?)?电", "停电 中止供电"),
    (r"撒泼|闹事|堵门|不让进", "阻挠"),
    (r"(?:交|缴|付)钱", "缴费"),
    (r"过日子用的?电|家里用的?电|生活用电", "居民生活用电"),
    (r"大厂子?|厂子", "工业 企业"),
    (r"(?:燃气|煤气|天然气|气)管子", "燃气管道"),
    (r"挪(?:个|一?下)?(?:地儿?|地方|位置)|挪挪|挪走", "迁移 改装"),
    (r"村里|乡下|村子|(?:俺|我|咱)们?村", "农村"),
    (r"城里|市里|市区|县城", "城区"),
    (r"半个?小时", "30分钟"),
)
_COMPILED = tuple((re.compile(pattern), words) for pattern, words in _PHRASES)


def with_handbook_words(text: str) -> str:
    """The text, followed by the handbook's words for each everyday phrase in it (nothing added when none)."""
    added = [words for pattern, words in _COMPILED if pattern.search(text)]
    return f"{text} {' '.join(added)}" if added else text
