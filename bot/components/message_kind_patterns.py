"""What kind of message this is, from its wording alone: a question about a service, a request to have something
done, both, a follow-up to the previous answer, or a plain statement; and whether it is about utilities at all.

The classifier learns topics (repair, complaint, installation…) well but not this distinction: "燃气坏了报修一般
几个小时上门" and "燃气坏了 帮我报修" share every topic word. The cues below carry it. Pure functions, shared by
the NLU component (bot/components/message_kind.py) and the actions.
"""
from __future__ import annotations

import re
import unicodedata
from enum import Enum
from functools import lru_cache
from pathlib import Path

from core.spelling import corrected


class Kind(str, Enum):
    QUESTION = "question"      # asks about a business: how long, how much, can I, will they, is it allowed
    REQUEST = "request"        # asks to have something done: 帮我报修, 我要投诉
    BOTH = "both"              # 燃气表坏了 多久能来修: the answer, then the form
    FOLLOWUP = "followup"      # 那农村呢？ 那电费呢？ depends on the previous answer
    STATEMENT = "statement"    # 家里停电了: a report, or an answer to a form's question


# What the customer wants to know: a time, an amount, a way, a rule.
_ASKS = re.compile(
    r"多久|多长时间|多少时间|多少天|多快|多会儿|啥时候|几时|几天|几个?小时|几个?工作日|几分钟|几点|几次|几个人|几名|多少钱|多少|收费|要钱|收钱|免费|"
    r"服务费|(?:另外|额外|另)(?:收|交|付|花)|"
    r"要不要|需不需要|用不用|会不会|是不是|是否|有没有|算不算|"
    r"怎么|咋|如何|什么|啥|哪些|哪里|哪儿|哪个|哪种|谁|为什么|为啥|规定|按规定|一般|标准|"
    # 是指哪几个方面, 分几类, 是哪几个字来着, 他们不是应该… (a rule recalled or expected)
    r"哪几|几[类条项种份]|几个方面|几部分|来着|不是应该|难道|应不应该|该不该|合不合")
# Only the form of a question: "能帮我报修吗" is a polite request.
_POLITE = re.compile(r"能不能|可不可以|可以吗|行不行|行吗|[吗嘛么][？?。！!\s]*$|[吗嘛][，,\s]|[？?]|"
                     r"[会能要是算有][^，,。]{0,14}不[？?。！!\s]*$")
# Not questions: 不知道什么原因, 暖气怎么不热了 (a report of a fault, said with a question word).
_NOT_ASKING = re.compile(r"不知道?(?:是|为)?(?:什么|啥|怎么)|什么原因|啥原因|怎么回事|咋回事|"
                         r"(?:怎么|咋|为什么|为啥)(?:不|没|又|老|总|一直|突然|还是)|"
                         # a complaint's rhetoric: 这是什么服务态度, 你们到底行不行
                         r"什么(?:服务)?态度|什么素质|什么玩意|凭什么|到底行不行|行不行啊|像话吗|有没有人管")
_REQUEST = re.compile(
    r"帮我|替我|帮忙|给我(?:派|安排|登记|处理|修|看看|查|报)|麻烦(?:你|您|你们)?(?:派|安排|登记|处理|过来|来)|请(?:尽快|马上|赶紧)?(?:派|安排|登记|上门|过来)|"
    r"快(?:点|些)?(?:派|来|过来)|赶紧|马上(?:派|来|过来)|(?:报修|投诉|报装|登记)一下|"
    r"我(?:要|想|想要|得)(?:报个?修|投诉|举报|报装|申请|登记|反映)|要求(?:赔偿|处理)|给办一下|帮忙办")
# Asking after one's own ticket (a status), not about the rules.
_STATUS = re.compile(
    r"到哪了|到哪一?步|进度|怎么样了|咋样了|啥情况|什么情况|有结果|结果出来|处理了没|处理好了没|处理完了吗|办好了没|"
    r"办好了吗|派人了没|派单了没|安排上了|有人跟进|跟进一下|回复了吗|有回复|回了没|有消息|批下来|审核通过|审批到|"
    r"师傅出发|接单了|排到|还没(?:人|来|修|处理|回复|消息)|怎么还没|进展|有人处理|处理了吗|"
    r"(?:啥|什么)时[候侯]来|来了没|[A-Za-z]{2}\s*\d{8}")
# Asking what something costs: a question for the fee answers.
_MONEY = re.compile(r"多少钱|收费|收不收|要钱|费用|多少费|材料费|价格|气价|电价|贵")
_HUMAN = re.compile(r"人工|真人|客服人员|接线员|坐席|转接|找人|找个人|活人|机器人|机器|值班|领导|负责人|经理")
# How staff behave: a question with these words is about the service rules, not a wish to talk to a person.
_CONDUCT = re.compile(r"规范|态度|用语|打断|插嘴|耐心|礼貌|仪容|着装|顶嘴|敷衍")
_FOLLOWUP = re.compile(r"^(?:那|那么|那要是|要是|如果|那如果|那假如|假如|换成|换作)?[^，,。]{1,12}呢[？?。!！\s]*$")
_THEN = re.compile(r"^(?:那|那么|那要是|那如果)[^，,。]{1,12}$")   # 那一般几个人来: a follow-up without 呢

# Words only a utility customer uses (and their usual typos), plus the bot's jieba domain dictionary.
_STRONG = re.compile(
    r"电力公司|电力局|供电|点费|停点|窃点|偷点|查点|用点|头诉|投述|投拆|热綫|交废|报休|抢休|维休|"
    r"燃气|天然气|天燃气|煤气|燃汽|液化气|管道气|气表|气费|气价|气卡|用气|停气|供气|通(?:个|上)?气|断气|漏气|"
    r"[买交充补]气|方气|立方|燃气灶|灶具|热水器|壁挂炉|气阀|换.{0,4}表|智能表|机械表|卡表|物联网表|"
    r"(?<!手)(?<!充)电(?!话|视|影|脑|梯|池|子|台|竞|商|动车|扇|饭煲|吹风|宝|源线)|电费|电价|电表|电线|用电|"
    r"暖气|暧气|暖器|供暖|采暖|取暖|供热|热力|地暖|暖片|室温|室内温度|热表|"
    r"户号|开户|销户|过户|换表|校表|安检|抄表|营业厅|网厅|网上国网|95598|报修|抢修|报装|装表|接电|"
    r"复电|复气|来电|停供|停热|停暖|停送|计量|表计|供电局|电网|昆仑|天富|阶梯|峰谷|"
    r"高压|低压|变压器|千伏|电压|配电|供用|跳闸|灯.{0,4}(?:一闪|闪烁|不亮|忽明忽暗|变暗)|设备事故|事故调查|调查报告")
# Service words any business uses: enough to keep a message for the classifier, not to make it a question for us.
_WEAK = re.compile(
    r"缴费|交费|费用|收费|账单|欠费|违约金|滞纳金|更名|改名|校验|检查|维修|修|安装|投诉|举报|意见|建议|工单|单子|"
    r"申请|手续|材料|证件|恢复|上门|师傅|工作人员|客服|热线|公众号|小程序|app|APP|线下|窃|偷|违约|罚|赔|补偿|损坏|合同|"
    r"发票|退款|退费|补卡|插卡|充值|预存|公司|管道|灶|"
    r"小区|栋|单元|号楼|号院|\d+号|村|乡|镇|屯|居民|非居民|商户|商铺|饭店|餐馆|面馆|小吃|食堂|单位|工厂|企业|"
    r"容量|线路|杆|用户|客户|家里用|家用|自己家|个人用|住户|住宅|商用|铺面|门面|迟到|约好|预约|上我家|到我家")
# Topics of other businesses: with only a bare 电 or 气 beside them the message is not for us (手机没电了).
_OFF_TOPIC = re.compile(r"(?<!用)手机|充电宝|电池|电动车|电脑|耳机|电影|电视剧|游戏|股票|股|期货|飞机|航班|火车|高铁|机票|地铁|"
                        r"奶茶|卡路里|考试|证怎么考|天气|下雨|雨|闹钟|提醒|音乐|歌|播放|声音|音量|TV|电视|"
                        # a smart home's commands: 客厅灯亮度调到最大, 热水阀门开度设置为50
                        r"亮度|颜色|色温|吸顶灯|开度|窗帘|空调|割草|扫地|媒体|开着|关着|调到|调成|设置|设为|计时器|定时")
_DICTIONARY = Path(__file__).resolve().parent.parent / "jieba_dict"


@lru_cache(maxsize=1)
def _dictionary_words() -> frozenset[str]:
    """The domain words of the bot's jieba dictionary (燃气费, 拆改移, 网上营业厅…)."""
    return frozenset(line.split()[0] for path in sorted(_DICTIONARY.glob("*")) if path.is_file()
                     for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def names_a_utility_topic(text: str) -> bool:
    """A word only a utility customer uses, outside another business's topic (手机没电了 is not ours)."""
    text = _plain(text)
    strong = _STRONG.findall(text) + [w for w in _dictionary_words() if len(w) > 1 and w in text]
    if not strong:
        return False
    return not (_OFF_TOPIC.search(text) and all(w in ("电", "灯") for w in strong))


# A phone, a 户号, a ticket or room number, also read out (一三八 一二三四): an answer to a form.
_FORM_ANSWER = re.compile(r"^(?:不?需要|不用|跳过|没有|不知道|是的?|不是|对的?|不对|确认|修改|好的?|行)[。！!]?$")
_LONG_NUMBER = re.compile(r"\d{4,}(?![\d年])|(?:[零〇一二三四五六七八九幺两][\s-]*){4,}")
# A fault of one's own: with a question it is both a report and a question (燃气表坏了 多久能来修).
_FAULT = re.compile(r"坏了|坏掉|不走|不转|漏水|停电了|没电了|没气了|没暖气|不热|不亮|跳闸|打不着|故障了|出问题了|不工作|断了|冒烟")
# Asking about the rule in general (燃气坏了报修一般几个小时上门), not about one's own case.
_RULE = re.compile(r"一般|规定|按规定|标准|是不是|会不会|通常|正常")


def _plain(text: str) -> str:
    """NFKC, and typos and homophones of domain words read as meant (core/spelling.py)."""
    return corrected(unicodedata.normalize("NFKC", text or "").strip())


def asks_something(text: str) -> bool:
    """A substantive question: how long, how much, how, what, whether, the rule."""
    return bool(_ASKS.search(_NOT_ASKING.sub("", _plain(text))))


def is_question(text: str) -> bool:
    text = _plain(text)
    return asks_something(text) or bool(_POLITE.search(_NOT_ASKING.sub("", text)))


# 电工说可以帮我把表调慢, 说有客户经理上门帮忙办: someone else's offer retold, not the customer's request
_REPORTED = re.compile(r"(?<![你您])说|讲|告诉我|听人|听别人|声称|"
                       # 客户经理上门帮忙办手续: what staff do, described, not asked of us
                       r"(?<![请让叫找])(?:客户经理|经理|师傅|工作人员|营业员|电工|他们|他|她)[^，,]{0,4}$")
_CLAUSES = re.compile(r"[，,。；;！!？?]")


def is_request(text: str) -> bool:
    """Asks to have something done (帮我报修, 我要投诉); a request retold from someone else (他说可以帮我…) is not."""
    for clause in _CLAUSES.split(_plain(text)):
        match = _REQUEST.search(clause)
        if match and not _REPORTED.search(clause[:match.start()]):
            return True
    return False


def has_fault(text: str) -> bool:
    return bool(_FAULT.search(_plain(text)))


def asks_money(text: str) -> bool:
    return bool(_MONEY.search(_plain(text)))


def asks_rule(text: str) -> bool:
    """About the rule in general: 按规定, 一般, 标准."""
    return bool(_RULE.search(_plain(text)))


def asks_status(text: str) -> bool:
    return bool(_STATUS.search(_plain(text)))


# Someone coming to the fault (你们的人啥时候能来, 师傅多久到), not the supply coming back (什么时候来电).
_ARRIVAL = re.compile(r"(?:人|师傅|你们|工作人员|抢修的?)[^，,。？?]{0,6}(?:来|到|上门|过来)(?!电|气|暖)")


def asks_arrival(text: str) -> bool:
    return bool(_ARRIVAL.search(_plain(text)))


def asks_for_human(text: str) -> bool:
    """Wants a person; not a question about how staff behave (客服人员能不能打断用户说话？)."""
    text = _plain(text)
    if _CONDUCT.search(text) and asks_something(text):
        return False
    return bool(_HUMAN.search(text)) and not _OFF_TOPIC.search(text)   # 扫地机器人 is no person


# A follow-up without 呢 (农村的话多久, 要是商铺要几天, 换成非居民多长时间): a short question whose only topic is a
# condition — a utility, a place, a kind of customer, a time — and no business of its own.
_CONDITION = re.compile(r"^(?:那|那么)?(?:要是|如果|假如|若是|换成|换作|改成|换了)|的话")
_CONDITION_WORDS = re.compile(
    r"天然气|燃气|煤气|电力|供电|暖气|供暖|供热|采暖|热力|电|气|农村|乡下|村里|城区|城里|市区|县城|山区|边远|偏远|"
    r"非居民|居民|住户|商铺|商户|门面|铺面|饭店|餐馆|小微|单位|工厂|企业|学校|医院|高压|低压|重要|大工业|个人|"
    r"周末|节假日|过年|晚上|夜里|半夜|白天|冬天|夏天|采暖期")
_FILLERS = re.compile(r"^(?:(?:嗯+|呃+|啊+|哦+|噢+|喂+|那个|就是|然后|对了|还有|另外|再问一下|我再问一下|请问|你好|您好)[\s，,。、~～]*)+")
MAX_FOLLOWUP_CHARS = 16


# Topics that contain a utility's name (电费, 燃气表, 停暖): kept when the bare names are taken out.
_UTILITY_TOPICS = re.compile(r"[电气]费|[电气]价|[电气]表|气卡|暖气费|热费|取暖费|采暖费|供暖费|[停用来复断漏通供送][电气暖热]|"
                             r"电线|电压|电杆|燃气灶|灶具|热水器|壁挂炉|暖气片|跳闸|[煤燃]气味|漏气|泄漏|着火|触电|中毒")


def has_own_topic(text: str) -> bool:
    """Names a business of its own (报装, 安检, 电费…), beyond a utility and the conditions a follow-up varies."""
    text = _plain(text)
    if _UTILITY_TOPICS.search(text):
        return True
    rest = _CONDITION_WORDS.sub("", text)
    return bool(_STRONG.search(rest)) or any(w in rest for w in _dictionary_words() if len(w) > 1)


def is_bare_followup(text: str) -> bool:
    """A short question with no business of its own (多久能到, 收费吗, 农村的话多久): with a previous answer in the
    conversation it is about that answer's topic."""
    text = _FILLERS.sub("", _plain(text))
    short = len(re.sub(r"[\s，,。？?！!、]", "", text)) <= MAX_FOLLOWUP_CHARS
    asking = is_question(text) or bool(re.search(r"呢[？?。!！\s]*$", text))
    return short and asking and not has_own_topic(text)


# What a follow-up asks of the previous answer: its time, its price, whether it also holds (也一样吗).
_FOLLOWUP_ASKS = re.compile(r"多久|多长时间|多少天|几天|几个?小时|几个?工作日|几分钟|几次|多少钱|收费|收不收|要钱|免费|"
                            r"要不要|需不需要|能不能|可不可以|行不行|一样|也是|也要|也能|也会|也可以|同样|还是|开门|上班|营业|休息|"
                            r"怎么办|咋办|咋整|怎么处理|如何处理|哪些|哪几|具体|"
                            r"(?:怎么|如何|会)(?:告诉|通知|答复|回复|反馈|联系)")
# 那偏远山区呢？离县城很远的那种: a follow-up by its form, then a few words that describe the condition.
_FORM_THEN_DETAIL = re.compile(r"^(?:那|那么|那要是|要是|如果|那如果|假如)?[^，,。？?]{1,12}呢[？?，,。]\s*[^？?，,。]{1,10}[。！!]?$")
# 那要是过了期限还没解决呢: a condition spelled out at some length, still only a follow-up.
_LONG_CONDITION = re.compile(r"^(?:那要是|要是|那如果|如果|假如|那假如)[^，,。？?]{1,18}呢[？?。!！\s]*$")


def followup_in_context(text: str) -> bool:
    """With an answer given earlier in the conversation, a message that only makes sense as a question about it:
    a follow-up by its form (那农村呢, 农村的话多久), or a short question with no business of its own that asks
    what follow-ups ask (多久能到, 收费吗, 也一样吗), outside another business's topic (明天会下雨吗)."""
    plain = _FILLERS.sub("", _plain(text))
    if _OFF_TOPIC.search(plain):
        return False
    if (_FORM_THEN_DETAIL.match(plain) or _LONG_CONDITION.match(plain)) and not has_own_topic(plain):
        return True
    if not is_bare_followup(plain):
        return False
    return bool(_FOLLOWUP.match(plain) or _THEN.match(plain) or _CONDITION.search(plain) or _FOLLOWUP_ASKS.search(plain))


def message_kind(text: str) -> Kind:
    text = _plain(text)
    if _FOLLOWUP.match(text) or (_THEN.match(text) and asks_something(text)):
        return Kind.FOLLOWUP
    if _CONDITION.search(_FILLERS.sub("", text)) and is_bare_followup(text):
        return Kind.FOLLOWUP
    asks = asks_something(text)
    if is_request(text):
        return Kind.BOTH if asks else Kind.REQUEST
    if asks and _FAULT.search(text) and not _RULE.search(text):
        return Kind.BOTH
    return Kind.QUESTION if is_question(text) else Kind.STATEMENT


def about_utilities(text: str) -> bool:
    """Whether the message could be for a utility's service desk: a utility word, a long number (a phone, a 户号),
    or a service word or follow-up outside another business's topic; a short answer a form expects (不需要,
    跳过, 对的) too."""
    text = _plain(text)
    if _FORM_ANSWER.match(text):
        return True
    if names_a_utility_topic(text) or _LONG_NUMBER.search(text):
        return True
    follow_up = _FOLLOWUP.match(text) or (_THEN.match(text) and asks_something(text))
    return bool(_WEAK.search(text) or follow_up) and not _OFF_TOPIC.search(text)


_CLAUSE = re.compile(r"[，,？?。；;！!\s]+")


def asks_several(text: str) -> bool:
    """Two or more clauses that each ask something (你们多久给答复，多久能来施工？): a message with several questions."""
    return sum(1 for clause in _CLAUSE.split(_plain(text)) if clause and asks_something(clause)) >= 2


# 天富热电的电力投诉多久答复？跟一般电力服务规范里的一样吗？: the company's rule, and beside it the general one
_GENERAL = re.compile(r"一般|通用|普通|别的|其他|国家|行业|统一|规范|标准")
_COMPARES = re.compile(r"一样|相同|不同|区别|差别|差不多|有啥不|有什么不|比较|相比|对比|各说|分别说")


def compares_with_general(text: str) -> bool:
    """The message asks whether a company's rule is the same as the general (or another) one."""
    text = _plain(text)
    return bool(_COMPARES.search(text)) and bool(_GENERAL.search(text))


def asks_in_context(text: str) -> bool:
    """Right after an answer, a question with no utility word of its own (这报告一共几份？约的时间能按我方便的来吗？)
    is about that answer, unless it is about another business's topic (明天会下雨吗)."""
    plain = _plain(text)
    return followup_in_context(text) or (is_question(plain) and not _OFF_TOPIC.search(plain))


# A rule asked about, not one's own case: 按规定多长时间内应该反馈, 是不是一定会推送进度
_STRICT_RULE = re.compile(r"按规定|规定|规范|标准|应该|应当|一定会|必须")


def asks_rule_strictly(text: str) -> bool:
    return bool(_STRICT_RULE.search(_plain(text)))

