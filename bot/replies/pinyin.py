"""Chinese replies typed in pinyin, read as the characters the cue lexicons know.

Customers without a Chinese keyboard write "wo yi jing huan le" or "mingtian huan 600"
(toneless pinyin, words spaced or run together). :func:`from_pinyin` recognises such a
reply — every Latin word splits into pinyin syllables and some are words only Chinese
has — and rewrites the collection vocabulary it knows in characters, so that the Chinese
rules and model read it: "wo hou tian huan 1000 kuai" becomes "我后天还1000块".

Syllables are ambiguous without tones (qian is 钱 "money", 千 "thousand", 前 "before" or 欠
"owe"); words of two or more syllables are looked up first, and a lone syllable takes
its reading from its neighbours (after a number qian is 千, kuai 块, hao 号; after a
time word qian is 前). What the table does not know is dropped: the reply keeps the
words that carry its intent, amounts and dates.
"""

from __future__ import annotations

from functools import lru_cache

from bot.replies.regex_programs import rx

# every toneless syllable of Standard Mandarin (ü written v)
_SYLLABLE_TEXT = """
    a ai an ang ao e ei en eng er o ou ba bai ban bang bao bei ben beng bi bian biao bie bin
    bing bo bu pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu ma mai man
    mang mao me mei men meng mi mian miao mie min ming miu mo mou mu fa fan fang fei fen feng fo
    fou fu da dai dan dang dao de dei den deng di dian diao die ding diu dong dou du duan dui
    dun duo ta tai tan tang tao te teng ti tian tiao tie ting tong tou tu tuan tui tun tuo na
    nai nan nang nao ne nei nen neng ni nian niang niao nie nin ning niu nong nu nuan nuo nv la
    lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu long lou lu luan lun
    luo lv ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ka
    kai kan kang kao ke ken keng kong kou ku kua kuai kuan kuang kui kun kuo ha hai han hang hao
    he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin
    jing jiong jiu ju juan jue jun qi qia qian qiang qiao qie qin qing qiong qiu qu quan que qun
    xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun zha zhai zhan zhang zhao zhe
    zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo cha chai chan
    chang chao che chen cheng chi chong chou chu chua chuai chuan chuang chui chun chuo sha shai
    shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang shui shun shuo ran
    rang rao re ren reng ri rong rou ru ruan rui run ruo za zai zan zang zao ze zei zen zeng zi
    zong zou zu zuan zui zun zuo ca cai can cang cao ce cen ceng ci cong cou cu cuan cui cun cuo
    sa sai san sang sao se sen seng si song sou su suan sui sun suo ya yan yang yao ye yi yin
    ying yo yong you yu yuan yue yun wa wai wan wang wei wen weng wo wu
"""
_SYLLABLES = frozenset(_SYLLABLE_TEXT.split())
_LONGEST = max(len(s) for s in _SYLLABLES)

# Words of the collection conversation, by their syllables joined with spaces.
_WORDS = {
    # people and parties
    "wo": "我", "ni": "你", "nin": "您", "ta": "他", "wo men": "我们", "ni men": "你们",
    "ta men": "他们", "ben ren": "本人", "zi ji": "自己", "lao gong": "老公", "lao po": "老婆",
    "er zi": "儿子", "nv er": "女儿", "ba ba": "爸爸", "ma ma": "妈妈", "peng you": "朋友",
    "gong si": "公司", "ping tai": "平台", "yin hang": "银行", "lv shi": "律师",
    # paying and owing
    "huan": "还", "huan qian": "还钱", "huan kuan": "还款", "huan qing": "还清",
    "huan wan": "还完", "jie qing": "结清", "fu qing": "付清", "quan bu": "全部",
    "yi ban": "一半", "sheng xia": "剩下", "fen qi": "分期", "zhuan": "转", "zhuan zhang": "转账",
    "da kuan": "打款", "fu kuan": "付款", "zhi fu bao": "支付宝", "wei xin": "微信",
    "yin hang ka": "银行卡", "jie": "借", "jie qian": "借钱", "qian kuan": "欠款",
    "li xi": "利息", "ben jin": "本金", "wei yue jin": "违约金", "zhi na jin": "滞纳金",
    "fei yong": "费用", "gong zi": "工资", "fa gong zi": "发工资", "mei qian": "没钱",
    "you qian": "有钱", "shi ye": "失业", "sheng bing": "生病", "zhu yuan": "住院",
    "kun nan": "困难", "yan qi": "延期", "kuan xian": "宽限", "mian": "免",
    "jian mian": "减免", "gei": "给", "fu": "付", "jiao": "交", "da": "打",
    "guo qu": "过去", "guo lai": "过来", "yi jing": "已经", "yi": "一",
    # time
    "jin tian": "今天", "ming tian": "明天", "hou tian": "后天", "da hou tian": "大后天",
    "zuo tian": "昨天", "qian tian": "前天", "jin wan": "今晚", "wan shang": "晚上",
    "zao shang": "早上", "shang wu": "上午", "zhong wu": "中午", "xia wu": "下午",
    "xian zai": "现在", "ma shang": "马上", "deng xia": "等下", "deng hui": "等会",
    "yi hui": "一会", "guo ji tian": "过几天", "guo liang tian": "过两天",
    "zhe liang tian": "这两天",
    "zhe zhou": "这周", "ben zhou": "本周", "xia zhou": "下周", "xia xia zhou": "下下周",
    "zhou mo": "周末", "zhou": "周", "xing qi": "星期", "li bai": "礼拜", "xia ge": "下个",
    "zhe ge yue": "这个月", "xia ge yue": "下个月", "xia yue": "下月", "yue di": "月底",
    "xia ge yue chu": "下个月初", "xia yue chu": "下月初", "xia ge yue di": "下个月底",
    "xia yue di": "下月底", "zhe ge yue di": "这个月底",
    "yue chu": "月初", "yue": "月", "nian di": "年底", "tian": "天", "ri": "日",
    "hou": "后", "zhi qian": "之前", "yi hou": "以后",
    # numbers
    "er": "二", "liang": "两", "san": "三", "si": "四", "wu": "五", "liu": "六", "qi": "七",
    "jiu": "九", "bai": "百", "yuan": "元", "ba bai": "八百", "ba qian": "八千",
    "ba wan": "八万", "ba shi": "八十", "ba kuai": "八块", "ba hao": "八号",
    # contact and stopping
    "dian hua": "电话", "duan xin": "短信", "xin xi": "信息", "xiao xi": "消息", "fa": "发",
    "bie": "别", "bu yao": "不要", "zai": "再", "lian xi": "联系", "fan": "烦",
    "sao rao": "骚扰", "tui ding": "退订", "cui": "催", "cui shou": "催收", "bao jing": "报警",
    "tou su": "投诉", "qi su": "起诉", "fa yuan": "法院",
    # questions and other words
    "shen me": "什么", "wei shen me": "为什么", "zen me": "怎么", "na ge": "哪个", "na li": "哪里",
    "duo shao": "多少", "ji": "几", "ma": "吗", "ne": "呢", "shui": "谁", "shi": "是",
    "bu shi": "不是", "bu": "不", "mei": "没", "mei you": "没有", "you": "有", "neng": "能",
    "ke yi": "可以", "neng bu neng": "能不能", "ke bu ke yi": "可不可以", "hui": "会",
    "yao": "要", "xiang": "想", "xian": "先", "dou": "都", "le": "了", "de": "的", "a": "啊",
    "hao": "好", "hao de": "好的", "xing": "行", "xie xie": "谢谢",
    "zhi dao": "知道", "shou dao": "收到", "ming bai": "明白", "dui bu qi": "对不起",
    "bu hao yi si": "不好意思", "ren shi": "认识", "bu ren shi": "不认识", "da cuo": "打错",
    "cuo": "错", "gao cuo": "搞错", "zhe": "这", "zhe ge": "这个", "na": "那",
    "pian zi": "骗子", "zha pian": "诈骗", "jie shi": "解释", "he tong": "合同", "cha": "查",
    "qu shi": "去世", "si le": "死了", "zhuan ren gong": "转人工", "ren gong": "人工",
}
# a syllable read by what stands before it: after a number (or a number word), after
# a time word; otherwise its default
_AFTER_NUMBER = {"qian": "千", "wan": "万", "kuai": "块", "hao": "号", "shi": "十", "ge": "个"}
_AFTER_TIME = {"qian": "前"}
_DEFAULT = {"qian": "钱", "wan": "完", "kuai": "快", "ba": "吧"}
_NUMBER_WORDS = frozenset("一二两三四五六七八九十百千万")
_TIME_WORDS = ("天", "晚", "午", "上", "周", "月", "号", "底", "末", "日", "点", "后")
_MAX_WORD = max(len(k.split()) for k in _WORDS)

_TOKEN = rx(r"[a-z]+|[0-9]+(?:[.,][0-9]+)*|\S")
_LETTERS = rx(r"[a-z]+")
# words only Chinese has: one of them makes a reply of pinyin syllables Chinese
_CHINESE_ONLY = frozenset(
    {"wo", "ni", "nin", "huan", "qian", "le", "bu", "shi", "de", "zai", "mei", "bie", "hao",
     "ming", "jin", "zuo", "xia", "zhou", "yue", "gei", "kuai", "yuan", "xie", "dian", "hua",
     "duan", "xin", "gong", "si", "jie", "zhi", "zen", "shen", "shui", "neng", "ke", "yao",
     "yi", "jing", "hou", "tian", "zhong", "wan", "xian", "ma", "ne", "ba", "dou"}
)
_ENGLISH = frozenset(
    {"i", "you", "me", "my", "the", "to", "and", "is", "it", "pay", "will", "can", "not", "no",
     "ok", "okay", "hi", "hey", "yes", "a", "an", "be", "he", "she", "we", "they", "on", "in",
     "at", "by", "for", "of", "so", "if", "or", "do", "am", "are", "was", "man", "men", "long",
     "hang", "ban", "pen", "ping", "sun", "die", "tie", "bin", "fan", "tan", "pan", "ran"}
)


# chat words that may stand among pinyin ones ("ok wo jin wan huan 300"); kept as they are
_CHAT = frozenset(
    {"ok", "okay", "k", "kk", "pls", "plz", "sorry", "thx", "bye", "hi", "hello", "lah", "lor",
     "hmm", "um", "sry"}
)


#: a run of letters longer than this is no pinyin word (and is not split: bounded work)
_MAX_WORD_LETTERS = 36


@lru_cache(maxsize=8192)
def _split(word: str) -> tuple[str, ...] | None:
    """``word`` as pinyin syllables (fewest, then longest first), or None when it is not
    pinyin."""
    if not word:
        return ()
    if len(word) > _MAX_WORD_LETTERS:
        return None
    best: tuple[str, ...] | None = None
    for n in range(min(_LONGEST, len(word)), 0, -1):
        head = word[:n]
        if head in _SYLLABLES:
            rest = _split(word[n:])
            if rest is not None and (best is None or len(rest) + 1 < len(best)):
                best = (head, *rest)
    return best


def looks_pinyin(text: str) -> bool:
    """Whether folded ASCII ``text`` reads as pinyin: at least two Latin words, every
    one of them pinyin syllables, not ordinary English, with at least two syllables
    only Chinese writes."""
    words = 0
    english = 0
    chinese = 0
    # word by word: an English reply is given up at its first word that is no pinyin
    for m in _LETTERS.finditer(text):
        w = m.group()
        parts = _split(w)
        if parts is None:
            if w in _CHAT:
                continue
            return False
        words += 1
        english += w in _ENGLISH
        chinese += sum(p in _CHINESE_ONLY for p in parts)
    return words >= 2 and english * 3 <= words and chinese >= 2


def from_pinyin(text: str) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """``text`` (folded, pinyin) in Chinese characters, and for each character of the
    result where the text it was read from starts and ends in ``text``."""
    items: list[tuple[str, int]] = []  # (syllable or other token, offset)
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok.isalpha() and tok not in _CHAT:
            parts = _split(tok) or ()
            at = m.start()
            for p in parts:
                items.append((p, at))
                at += len(p)
        else:
            items.append(("\0" + tok, m.start()))
    out: list[str] = []
    index: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(items):
        tok, at = items[i]
        if tok.startswith("\0"):
            tok = tok[1:]
            if tok.isspace():
                i += 1
                continue
            out.append(tok)
            index.extend(range(at, at + len(tok)))
            ends.extend(range(at + 1, at + len(tok) + 1))
            i += 1
            continue
        word = None
        n = 1
        for k in range(min(_MAX_WORD, len(items) - i), 1, -1):
            key = " ".join(s for s, _ in items[i : i + k])
            if "\0" not in key and key in _WORDS:
                word, n = _WORDS[key], k
                break
        if word is None:
            word = _single(tok, out)
        last, last_at = items[i + n - 1]
        i += n
        if word:
            out.append(word)
            index.extend([at] * len(word))
            ends.extend([last_at + len(last)] * len(word))
    return "".join(out), tuple(index), tuple(ends)


def _single(syllable: str, before: list[str]) -> str:
    """The reading of a lone ``syllable`` after the text ``before`` ("" when unknown)."""
    prev = before[-1][-1] if before and before[-1] else ""
    if syllable in _AFTER_NUMBER and (prev.isdigit() or prev in _NUMBER_WORDS):
        return _AFTER_NUMBER[syllable]
    if syllable in _AFTER_TIME and prev in _TIME_WORDS:
        return _AFTER_TIME[syllable]
    if syllable in _DEFAULT:
        return _DEFAULT[syllable]
    return _WORDS.get(syllable, "")
