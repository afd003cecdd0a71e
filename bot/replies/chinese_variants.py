"""Traditional characters and dialect words read as the Simplified Mandarin the cue
lexicons are written in.

Customers write 還 for 还, 週 for 周, and Cantonese (聽日 "tomorrow", 唔好 "don't", 搵
"look for"), Sichuanese (莫 "don't", 莫得 "haven't") or Wu (覅 "don't") words. Every
replacement keeps the text's length, so offsets into the folded text stay valid.
"""

from __future__ import annotations

import re

from bot.replies.regex_programs import rx

# Traditional -> Simplified, one character each: the characters of money, time, contact
# and the intents' words.
_PAIRS = (
    "還还會会週周禮礼們们說说這这個个錢钱嗎吗麼么時时間间點点對对過过發发電电話话號号碼码報报"
    "聽听後后帳账賬账戶户數数幫帮請请謝谢給给應应該该經经濟济現现實实際际問问題题銀银費费單单"
    "當当錯错誤误沒没從从來来開开關关於于處处與与動动學学醫医買买賣卖貸贷債债務务繳缴轉转辦办"
    "匯汇訊讯簡简傳传見见親亲愛爱媽妈爺爷夠够額额餘余筆笔張张陳陈劉刘楊杨黃黄趙赵吳吴雙双難难"
    "辭辞職职業业貨货騙骗證证據据簽签約约師师訴诉訟讼議议認认識识記记錄录續续幾几歲岁鐘钟頭头"
    "誰谁為为讓让別别煩烦擾扰聯联繫系絡络換换邊边裡里裏里機机網网線线壞坏寫写讀读書书車车禍祸"
    "離离療疗術术準准備备則则畢毕盡尽總总結结償偿倆俩兩两萬万億亿塊块員员專专門门場场東东區区"
    "廠厂闆板資资滿满壓压緊紧擔担憂忧氣气飯饭產产團团隊队體体質质風风險险標标級级紀纪補补齊齐"
    "湊凑撥拨託托節节態态趕赶刪删郵邮訂订閱阅徵征調调減减罰罚優优價价貴贵騷骚監监協协違违歸归"
    "歷历輸输贏赢賠赔虧亏損损閉闭遲迟緩缓寬宽擱搁暫暂凍冻滯滞納纳稅税規规權权義义絕绝屬属負负"
    "責责釋释懷怀傷伤殘残喪丧遺遗繼继終终簡简訊讯蚊元週周們们喺在嘅的佢他哋们係是冇没嚟来俾给"
    "畀给搵找睇看咗了晒清咁这覅别兒儿無无爲为麽么廳厅遠远運运達达邀邀撈捞門门鬆松"
    "賬账戲戏讚赞爭争熱热齡龄陸陆燈灯碼码薪薪塊块錢钱"
)
_MAP = {ord(a): b for a, b in zip(_PAIRS[::2], _PAIRS[1::2], strict=True) if a != b}
# any character _MAP changes (one search is much cheaper than translating every character)
_TRADITIONAL = rx("[" + "".join(re.escape(chr(c)) for c in sorted(_MAP)) + "]")

# Dialect words of two characters and their Mandarin (same length); read before the
# characters, whose simplified forms could mean something else (唔好 "don't" is not 不好
# "not good").
_WORDS = {
    "唔好": "不要",
    "呢個": "这个",
    "呢个": "这个",
    "今個": "这个",
    "今个": "这个",
    "月尾": "月底",
    "唔使": "不用",
    "唔該": "谢谢",
    "唔该": "谢谢",
    "唔識": "不识",
    "唔识": "不识",
    "聽日": "明天",
    "听日": "明天",
    "後日": "后天",
    "尋日": "昨天",
    "寻日": "昨天",
    "琴日": "昨天",
    "出糧": "发薪",
    "出粮": "发薪",
    "過數": "转账",
    "过数": "转账",
    "點樣": "怎么",
    "点样": "怎么",
    "邊個": "哪个",
    "边个": "哪个",
    "搞掂": "搞定",
    "幾多": "多少",
    "几多": "多少",
    "乜嘢": "什么",
    "啥子": "什么",
    "莫得": "没有",
    "歹勢": "抱歉",
    "過身": "去世",
    "过身": "去世",
    "返工": "上班",
    "短訊": "短信",
    "短讯": "短信",
    "簡訊": "短信",
    "简讯": "短信",
}
_WORD_RE = rx("|".join(sorted(_WORDS, key=len, reverse=True)))
# Pinyin initials for the days and the bank card ("mt还" is "明天还"); same length.
_PINYIN = {"mt": "明天", "jt": "今天", "ht": "后天", "yhk": "银行卡"}
_PINYIN_RE = rx(r"(?<![a-z])(?:mt|jt|ht|yhk)(?![a-z])")
# "莫" before a verb of contact or pressing is "don't" (莫再发, 莫催了), not a surname.
_MO = rx(r"莫(?=再|要|发|打|催|烦|找|联系|來|来|發)")


def simplify(t: str) -> str:
    """``t`` with traditional characters and dialect words in Simplified Mandarin."""
    if _WORD_RE.search(t) is not None:
        t = _WORD_RE.sub(lambda m: _WORDS[m.group()], t)
    if _TRADITIONAL.search(t) is not None:
        t = t.translate(_MAP)
    if _PINYIN_RE.search(t) is not None:
        t = _PINYIN_RE.sub(lambda m: _PINYIN[m.group()], t)
    if "莫" in t:
        t = _MO.sub("别", t)
    return t
