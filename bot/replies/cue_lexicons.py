"""The cue lexicons of English and Chinese replies: the words, no decisions.

Each cue category (mostly one per intent, plus clause cues such as ``promise`` or
``block``) is a tuple of regex sources for the phrases customers use, written from
LABELING.md and from how people really text: typos, missing apostrophes ("cant",
"ill pay"), slang ("tmrw", "gonna"), Chinese colloquial forms. The scanners
(:mod:`bot.replies.language_scanners`) find them; the parser decides among them.

Patterns avoid nested unbounded quantifiers so that matching stays linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.replies.cue_scanner import Parts
from bot.replies.markers import EN_UNSURE, ZH_ASK_LOWER
from bot.replies.regex_programs import rx

#: Categories read per clause: in these, a leading "^" anchors at each clause start.
CLAUSE_CATEGORIES = frozenset(
    {"promise", "time_request", "cant_until", "uncertain", "offer_question", "block"}
)


def _c(*parts: str) -> Parts:
    return tuple(parts)


_z = _c


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Compiled cue patterns for one language."""

    legal: Parts
    legal_not: Parts  # spans where a legal word means something else
    wrong_party: Parts
    dispute: Parts
    fraud: re.Pattern[str]
    paid: Parts
    hardship: Parts
    refuse: Parts
    callback: Parts
    question: Parts
    wh: re.Pattern[str]
    promise: Parts
    offer_question: Parts
    time_request: Parts
    cant_until: Parts
    uncertain: Parts
    negated_before: re.Pattern[str]
    block: Parts  # clause cues that stop an amount+date clause being an offer
    ack: Parts
    auto_reply: Parts
    clause_split: re.Pattern[str]


# ----------------------------------------------------------------------------- English

_CANT = r"(?:can'?t|cannot|can\s+not|cnt|couldn'?t|could\s+not|couldnt)"
_I = r"(?:i|we)"
_IM = r"(?:i'?m|im|i\s+am|we'?re|we\s+are)"
_WILL = r"(?:i'?ll|i\s+will|i\s+shall|we'?ll|we\s+will|will|wil|imma|i'?mma|ima)"
_PAYV = (
    r"(?:pay|payin[g']?|send|sendin[g']?|transfer|transferring|do|make|have|get|put|wire|mail|drop|"
    r"deposit|settle|clear|cover|manage|afford|sort|handle|take\s+care|bring|give|set\s+up|schedule|"
    r"arrange|throw|pop|venmo|zelle|cashapp|paypal|e-?transfer|knock\s+out|try|start|stop\s+(?:by|in)|"
    r"swing\s+by|come\s+by|pop\s+in|drop\s+in|drop\s+by|come\s+in|head\s+(?:in|over))"
)
_ADV = (
    r"(?:(?:definitely|def|defo|deffo|probably|prob|prolly|just|still|also|only|then|gladly|happily|"
    r"hopefully|surely|finally|actually|really|totally|certainly|at\s+least|try\s+(?:to|and)|"
    r"be\s+able\s+to|be|able\s+to|going\s+to|gonna|start|at\s+most|like)\s+){0,4}+"
)

EN = Lexicon(
    legal=_c(
        r"\b(?:i'?m|im|i\s+am|i'?ll\s+be|gonna\s+be)\s+reporting\s+(?:you|u|ya|y'?all|your\s+\w+)\b",
        r"\bbankrupt\w*",
        r"\bchapter\s*(?:7|11|13|seven|eleven|thirteen)\b",
        r"\bch\.?\s*(?:7|13)\b",
        r"\binsolven\w*",
        r"\biva\b",
        r"\bdebt\s+relief\s+order",
        r"\bsequestration\b",
        r"\blawyer",
        r"\battorney(?<!power\sof\sattorney)",
        r"\bsolicitor",
        r"\blegal\s+(?:counsel|aid|advice|team|rep\w*|action|department|help|proceedings)",
        r"\bcounsel\b",
        r"\blaw\s*(?:firm|office|yer)(?<!to\sa\slaw\sfirm)(?<!is\sa\slaw\sfirm)(?<!to\sa\slaw\soffice)"
        r"(?<!is\sa\slaw\soffice)",
        r"\brepresented\s+by",
        r"\bparalegal",
        r"\bsue\b(?!\s+me)",
        r"\bsuing\b",
        r"\bsued\b",
        r"\blaw\s*suit",
        r"\b(?:see\s+you|meet\s+you|(?:take|taking|took)\s+(?:you|this|them|it|your\s+\w+)|go(?:ing)?|went|"
        r"drag(?:ging)?\s+you)\s+"
        r"(?:in|to|into)\s+court\b|\bcourt\s+(?:action|case|claim|proceedings|summons|order|judgment)",
        r"\bsmall\s+claims",
        r"\blitigat\w*",
        r"\bcfpb\b",
        r"\bftc\b",
        r"\bfca\b",
        r"\bombudsman",
        r"\battorney\s+general",
        r"\bbbb\b",
        r"\bbetter\s+business\s+bureau",
        r"\bconsumer\s+(?:protection|financial|rights)(?!\s+act)",
        r"\bregulator",
        r"\b(?:afca|asic|fos|mas|financial\s+ombudsman)\b",
        r"\bcourt\s+(?:hearing|date|appearance)",
        r"\bdebt\s+management\s+(?:plan|company|programme|program|agency)",
        r"\bfdcpa\b",
        r"\bfcra\b",
        r"\btcpa\b",
        r"\bcease\s+(?:and|&)\s+desist",
        r"\bc\s*&\s*d\b",
        r"\b(?:report|reporting|reported)\s+(?:you|this|your\s+\w+|u)\s+(?:to|with)\b",
        r"\b(?:file|filed|filing|make|made|lodge|lodged|submit|submitted|raise|raised)\s+(?:a\s+)?"
        r"(?:formal\s+)?complaint",
        r"\bcomplain(?:ing|ed)?\s+(?:to|with)\s+(?:the\s+)?(?:cfpb|ftc|fca|ombudsman|regulator|"
        r"attorney|state|bbb|police|authorities)",
        r"\b(?:call|calling|contact|get|involve|ring|phone)\s+(?:the\s+)?(?:police|cops)\b",
        r"\b(?:go|going|goin|gonna\s+go|will\s+go)\s+to\s+the\s+(?:police|cops)\b",
        r"\bharassment\s+(?:claim|complaint|lawsuit|case)",
        r"\b(?:we|this\s+firm|this\s+office|firm)\s+(?:now\s+)?(?:act|acts|represent|represents)\s+for\b|"
        r"\b(?:we|this\s+firm|this\s+office)\s+(?:now\s+)?represents?\b|\binstructed\s+this\s+firm",
    ),
    legal_not=_c(
        r"\b(?:company|employer|firm|business|boss|work|job|shop|store|factory|workplace|restaurant)"
        r"\s+(?:\w+\s+){0,3}?(?:went\s+|is\s+|was\s+|has\s+gone\s+|filed\s+for\s+)?bankrupt\w*",
    ),
    wrong_party=_c(
        r"\bno\s+idea\s+who\s+(?:that|this|he|she|they|the\s+\w+)\s+(?:is|are)\b",
        r"\b(?:address|email|e-mail|number|phone|inbox|account)\s+(?:does\s+not|doesn'?t|no\s+longer)\s+belongs?\s+to\s+(?!me\b|us\b)",
        r"\b(?:wrong|wrng|rong|wron)\s+(?:(?:number|no|person|guy|girl|lady|man|woman|name|individual|customer|"
        r"contact|phone|cell|email|e-mail|address|house|one|people|mobile)\b|#)",
        r"\b(?:got|have|has|'ve\s+got|texted|texting|messaged|contacted|emailed|reached|"
        r"calling|called)\s+(?:the\s+)?wrong\b(?!\s+(?:amount|balance|figure|total|charges?|fees?|sum|bill|"
        r"interest|rate|date|account\s+balance))",
        r"^\W*not\s+me\b",
        r"\b(?:it'?s|this\s+is|that'?s|that\s+is)\s+not\s+me\b",
        r"\bnot\s+(?:the\s+(?:right\s+)?person|who\s+you(?:'re|\s+are)\s+looking\s+for)\b",
        r"\bno\s+(?:one|body)\s+(?:by\s+that\s+name|here\s+(?:by|named|called)|named|called|lives\s+here)",
        r"\bnobody\s+(?:by\s+that\s+name|here\s+(?:by|named|called)|named|called|lives\s+here)",
        r"\b(?:doesn'?t|does\s+not|don'?t|do\s+not|no\s+longer|never)\s+live[sd]?\s+"
        r"(?:here|with\s+(?:me|us)|at\s+this)",
        r"\bmoved\s+out\b",
        r"\bnot\s+(?:my|his|her)\s+name\b",
        r"\bmy\s+name\s+(?:isn'?t|is\s+not|aint)\b",
        r"\b(?:this|it)\s+(?:is\s+not|isn'?t|'s\s+not|aint)\s+\w+'s\s+(?:number|phone|cell|email|account)",
        r"\bnot\s+\w+'s\s+(?:number|phone|cell|email|mobile)",
        r"^\W*(?:sorry\W+)?new\s+(?:number|phone|cell)\b",
        r"\bjust\s+got\s+this\s+(?:number|phone)|\bgot\s+this\s+(?:number|phone)",
        r"\b(?:gave\s+up|had|used|changed)\s+(?:this|that|her|his|the)\s+(?:number|email)\b|"
        r"\b(?:bought|have\s+had|'ve\s+had|had)\s+this\s+(?:number|phone|email)\b|"
        r"\bthis\s+(?:number|email)\s+(?:before|used\s+to|was\s+(?:recycled|reassigned))|"
        r"\bnumber\s+(?:was\s+|got\s+)?(?:recycled|reassigned)|\bprevious\s+owner",
        r"\b(?:this|my)\s+(?:is\s+a\s+)?new\s+(?:number|phone\s+number)\b",
        r"\bthis\s+(?:number|phone)\s+(?:has\s+been|is|was)\s+mine",
        r"\bbusiness\s+(?:line|number)\b",
        r"\b(?:sent|send|texted|emailed)\s+(?:to\s+(?:me|the\s+wrong\s+\w+)\s+)?(?:by|in)\s+(?:mistake|error)",
        r"\bsent\s+to\s+the\s+wrong",
        r"\b(?:i'?m|im|i\s+am|this\s+is)\s+(?:his|her|their|the\s+\w+'s|(?:mr|mrs|ms|miss|dr)\.?\s+\w+'s|"
        r"\w+\s+\w+'s|\w+'s)\s+(?:wife|husband|mother|"
        r"mom|mum|father|dad|son|daughter|brother|sister|partner|girlfriend|boyfriend|friend|fianc\w*|"
        r"carer|caregiver|guardian|aunt|uncle|grand\w+|roommate|flatmate|landlord|landlady|boss|"
        r"employer|neighbou?r|cousin|niece|nephew|spouse|ex|ex-\w+|coworker|colleague|mate)\b",
        r"\b(?:passed\s+away|died|deceased|(?:he|she|they|husband|wife|mother|father|mom|mum|dad|son|daughter|brother|sister|partner)(?:\s+is|'s|\s+has\s+been|\s+was)\s+dead|has\s+died|passed\s+on|no\s+longer\s+with\s+us|"
        r"funeral|estate\s+of|death\s+certificate)\b",
        r"\bpower\s+of\s+attorney",
        r"\bnot\s+the\s+right\s+(?:number|person|phone|address|email|contact)\b",
        r"\bnot\s+(?:that|this|the)\s+(?:person|guy|lady|man|woman|individual|customer|gentleman)\b",
        r"\b(?:i'?m|im|i\s+am)\s+not\s+(?:him|her|them|he|she)\b",
        r"\b(?:don'?t|do\s+not|dont)\s+know\s+(?:this|that|the|any|your)\s+(?:person|customer|guy|lady|name|"
        r"individual|man|woman|client)\b",
        r"\b(?:this\s+is|you'?ve\s+reached|you\s+have\s+reached)\s+(?:a|the|an)\s+(?:business|office|"
        r"dental|clinic|company|restaurant|shop|store|salon|church|school)\b|\bgot\s+this\s+number\s+recently",
        r"\bnot\s+the\s+(?:account\s+)?(?:holder|owner|borrower|card\s*holder)\b|\bbelongs\s+to\s+me,?\s+not\b",
        r"\b(?:phone|number|mobile|cell)\s+(?:now\s+)?belongs\s+to|\bbelongs\s+to\s+(?:my|someone|somebody)",
        r"\b(?:number|phone|email|account)\s+(?:used\s+to\s+)?belong(?:s|ed)?\s+to\s+my\b",
        r"\b(?:it'?s|its|it\s+is|this\s+is)\s+(?:his|her|their|my\s+\w+'s)\s+(?:account|debt|loan|card|bill)\b",
        r"\bon\s+behalf\s+of\s+(?:my|his|her)\b(?!\s*self)",
        # "mum here, she's asleep": a relative answering
        r"^\W{0,8}(?:(?:it'?s|its|this\s+is)\s+)?(?:(?:his|her|their)\s+)?(?:mum|mom|dad|wife|husband|son|daughter|"
        r"sister|brother|partner|carer)\s+here\b",
        r"\b(?:my|his|her)\s+(?:late\s+)?(?:ex[-\s]?)?(?:wife|husband|mother|mom|mum|father|dad|son|daughter|"
        r"brother|sister|partner|ex|ex-\w+|grand\w+|aunt|uncle|cousin)'?s\s+(?:debt|loan|card|account|bill)",
        r"\b(?:was|is)\s+(?:hers|his|theirs)\b",
        r"\b(?:don'?t|do\s+not|dont)\s+know\s+(?:any(?:one|body)?|a|an|who)\b\s*(?:named|called|by\s+that)?",
    ),
    dispute=_c(
        r"\b(?:not|isn'?t|wasn'?t|aint|ain'?t|never\s+was)\s+(?:my|mine)\s+(?:debt|loan|account|card|bill|"
        r"charge|purchase|signature|balance|contract|credit\s+card|responsibility)",
        r"\b(?:isn'?t|is\s+not|not|aint|ain'?t)\s+mine\b",
        r"\bnever\s+(?:borrowed|opened|had|signed|took\s+out|taken\s+out|applied|used|owed|received|"
        r"ordered|bought|agreed|authori[sz]ed|got(?!\s+(?:\w+\s+){0,3}?(?:pay\s*checks?|wages?|salary|paid|pay\b))|"
        r"made|did\s+business|had\s+an?\s+account)",
        r"\bnever\s+heard\s+of\s+(?:this|your|the|you|that|them|it)\b",
        r"\bshould\s+have\s+(?:gone|been\s+(?:sent|billed|covered|paid))\s+(?:to|by)\s+(?:my\s+|the\s+)?"
        r"(?:insurance|insurer|medicaid|medicare|nhs|employer)|\b(?:insurance|insurer|medicaid|medicare)\s+"
        r"(?:should|was\s+supposed\s+to|is\s+supposed\s+to)\s+(?:have\s+)?(?:pa(?:y|id)|cover(?:ed)?)",
        r"\bwhat\s+i\s+(?:actually|really|truly|legitimately)\s+owe\b",
        r"\bexplain\w*\s+(?:\w+\s+){0,4}?(?:these|the|this|those|all\s+these|your)\s+(?:charges?|fees?|"
        r"interest|costs?|amounts?)\b",
        r"\b(?:don'?t|do\s+not|dont|doesn'?t|does\s+not)\s+(?:even\s+)?(?:owe|recogni[sz]e"
        r"(?!\s+(?:this|the|your)\s+(?:number|phone\s+number|company(?:\s+name)?|name|sender|email|caller)))",
        r"\bowe\s+(?:you\s+|u\s+|y'?all\s+)?(?:nothing|not\s+a\s+thing)\b",
        r"\bdisput\w*",
        r"\bdisagree\b",
        r"\b(?:don'?t|do\s+not|dont|never)\s+(?:have|had)\s+(?:a|an|any)\s+(?:loan|account|debt|card|"
        r"credit\s+card|agreement|contract)\s+with\b|\balready\s+cancell?ed\b",
        r"\bcontest\w*",
        r"\bwrong\s+(?:amount|balance|figure|total|charge|fee|sum|bill|interest)",
        r"\b(?:amount|balance|bill|charges?|fees?|interest|total|figure|number|statement|"
        r"calculation|math|sum|rate|records?|system)\s+(?:is|are|was|were|'s|seems?|looks?)\s+(?:(?:totally|"
        r"completely|way|clearly|obviously|just|all|so|too|really|very|definitely|simply)\s+)?(?:wrong|"
        r"incorrect|not\s+right|off|too\s+high|inflated|made\s+up|bogus|fake|ridiculous|outrageous|"
        r"illegal|not\s+legit|a\s+mistake|in\s+error|false|excessive|a\s+joke|a\s+scam)",
        r"\bincorrect\b",
        r"\bnot\s+(?:legit|legitimate|correct|accurate)\b",
        r"\bnot\s+what\s+i\s+(?:owe|agreed|signed|borrowed)",
        r"\bnever\s+agreed|\bnot\s+agreed|\bdidn'?t\s+agree|\bdid\s+not\s+agree",
        r"\b(?:didn'?t|did\s+not)\s+(?:sign|borrow|authori[sz]e|order|receive|take\s+out|open|make\s+"
        r"(?:this|that|these)|buy|apply|spend)",
        r"\bscam(?:s|mers?|my)?\b(?<!or\sa\sscam)(?<!or\sjust\sa\sscam)(?<!is\sthis\sa\sscam)(?<!is\sit\sa\sscam)"
        # "is this a scam?", "it looks like a scam text": asks who is writing
        r"(?<!this\sa\sscam)(?!\s+(?:text|txt|message|msg|sms|e-?mail|call)s?\b)",
        r"\bfraud\w*",
        r"\bidentity\s+theft|\bstole\s+my|\bstolen\b|\bhacked\b",
        r"\bunauthori[sz]ed",
        r"\b(?:charged|billed|debited|taken|took)\b[^.?!]{0,25}?\b(?:twice|two\s+times|double|again)\b",
        r"\bdouble[-\s]?(?:charged|billed|charge)|\bduplicate",
        r"\bprove\b|\bproof\b(?!\s+of\s+payment)",
        r"\bvalidat\w*|\bverif(?:y|ication)\s+(?:of\s+)?(?:this|the)\s+debt",
        r"\bsend\s+(?:me\s+)?(?:the\s+|a\s+copy\s+of\s+(?:the\s+)?|copies\s+of\s+(?:the\s+)?)?"
        r"(?:paperwork|contract|agreement|documents?|documentation|evidence|original)",
        r"\bsigned\s+(?:agreement|contract)",
        r"\bover-?\s?charg\w*",
        r"\b(?:only|just)\s+(?:owe|borrowed|took\s+out|spent|used)\b",
        r"\bowe\s+(?:you\s+)?(?:[$£€]\s*)?\d[\d,.]*\s*,?\s*not\s+(?:[$£€]\s*)?\d",
        r"\bshould\s+(?:only\s+)?be\s+(?:[$£€]\s*)?\d",
        r"\bi\s+was\s+told\b",
        r"\bhow\s+is\s+it\s+(?:[$£€]\s*)?\d",
        r"\bwhere\s+(?:did|does)\s+(?:this|that|the)\s+(?:number|amount|fee|figure|charge)",
        r"\bshould(?:n'?t|\s+not)\s+(?:be\s+)?(?:charged|billed|owe)",
        r"\breturned\s+(?:the|it|my|them)\b|\b(?:something|item|order|thing)\s+(?:that\s+)?i\s+returned\b",
        r"\brefund\b(?<!tax\srefund)",
        r"\bcancell?ed\b[^.?!]{0,40}?\b(?:charg|bill)",
        r"\b(?:charged|billed)\b[^.?!]{0,40}?\bcancell?",
        r"\bpaid\s+(?:it\s+|this\s+)?on\s+time",
        r"\b(?:still|then)\s+(?:added|charged|billed)",
        r"\bwhy\s+(?:is\s+there|was\s+i|am\s+i|did\s+you|do\s+i\s+have|are\s+you|the\s+\w+)\b"
        r"[^.?!]{0,30}?\b(?:fees?|charges?|charged|interest)",
        r"\bwhy\s+(?:did|do)\s+(?:you|u)\s+(?:take|charge|bill|add)",
        r"\bnot\s+(?:my|mine)\b[^.?!]{0,8}?$",
        r"\bnever\s+signed",
        r"\bnot\s+responsible\s+for",
        r"\b(?:someone|somebody|some\s+one|a\s+stranger|my\s+ex|an?\s+ex)\b[^.?!]{0,30}?\b(?:opened|took\s+out|"
        r"used|applied|signed\s+up|stole|impersonat\w*)",
        r"\b(?:opened|taken\s+out|took\s+out|applied\s+for|signed\s+up)\b[^.?!]{0,20}?\bin\s+my\s+name\b",
        r"\bused\s+my\s+(?:identity|name|id|ssn|social|details|information|info|documents?)\b",
        r"\bmy\s+(?:identity|id|ssn|details|information|info)\s+(?:was|were|got|has\s+been)\s+"
        r"(?:stolen|used|compromised|hacked)",
        r"\bwithout\s+my\s+(?:knowledge|consent|permission|authori[sz]ation)",
        r"\bpolice\s+report\b",
        r"\bstatute\s+of\s+limitations|\btime[-\s]barred|\b(?:doesn'?t|does\s+not|don'?t|do\s+not)\s+(?:match|add\s+up)",
        r"\bcharged\s+(?:me\s+)?(?:for\s+)?(?:the\s+same|it)\s+(?:\w+\s+)?(?:twice|again)",
        r"\b(?:account|it|this)\s+(?:was|were|has\s+been)\s+(?:closed|cancell?ed)\s+(?:in|on|back\s+in|"
        r"last|years?)\b|\bclosure\s+letter|\breturned\s+(?:that|this|those)\b|\bshould\s+be\s+(?:zero|0|nothing)\b|"
        r"\bnever\s+(?:provided|showed\s+up|delivered|worked|turned\s+up)|\bdouble[-\s]?billing|\bstatute[-\s]barred|"
        r"\bnot\s+liable\b|\bwrong\s+amount|\bmore\s+than\s+what\s+(?:was|i)\s+agreed|\bnot\s+part\s+of\s+my\s+"
        r"(?:agreement|contract)|\b(?:see|show\s+me)\s+the\s+(?:original\s+)?(?:agreement|contract)|"
        r"\b(?:cannot|can'?t)\s+be\s+right|\bthat'?s\s+(?:wrong|not\s+right)|\bis\s+wrong\b|\bused\s+my\s+email",
        r"\b(?:fees?|charges?|interest|rate)\b[^.?!]{0,40}?\b(?:unfair|not\s+fair|illegal|never\s+(?:agreed|told|"
        r"mentioned|disclosed)|higher\s+than|more\s+than\s+(?:what\s+)?i\s+agreed|not\s+in\s+(?:the|my)\s+contract)",
        r"\b(?:went\s+through|paid)\s+on\s+time\b|"
        r"\bwhere\s+did\s+(?:the|this|that)\s+(?:extra|\w+\s+extra)|\bstatement\s+(?:says|shows|lists)|"
        r"\b(?:never|didn'?t|did\s+not)\s+(?:arrive|arrived|get\s+the|deliver\w*|turn\s+up|show\s+up)|"
        r"\barrived\s+(?:broken|damaged|faulty)|\b(?:faulty|defective|broken|damaged)\s+(?:goods|item|product|"
        r"phone|couch|sofa|laptop|tv|car|furniture)|\bnever\s+(?:got|received)\s+(?:the|my|it|any)|"
        r"\b(?:still|keep|kept)\s+(?:adding|charging|billing)|\bafter\s+i\s+(?:closed|cancell?ed)|"
        r"\b(?:closed|cancell?ed)\s+(?:the|this|my)\s+(?:account|subscription|contract|membership)",
    ),
    fraud=rx(
        r"fraud|identity\s+theft|\bstole|hacked|unauthori[sz]ed|in\s+my\s+name|used\s+my\s+"
        r"(?:identity|name|id|ssn|details)|without\s+my\s+(?:knowledge|consent)|police\s+report"
    ),
    paid=_c(
        # "Sent via interac e-transfer about an hour ago", "Settled. Bank ref ..."
        r"\b(?:sent|transferred|e-?transferred|wired|deposited|mailed|paid)\b[^.?!\n]{0,40}\bago\b",
        r"(?:^|[.!]\s+)settled\s*(?:[.!]|$)",
        # "mailed a check on the 28th": the payment is on its way already
        r"\b(?:mailed|posted|dropped\s+off|put)\s+(?:you\s+)?(?:a|the|my|your)\s+(?:check|cheque|payment|money\s+order)"
        r"(?!\s+(?:tomorrow|today|tonight|next|this|on\s+(?:mon|tue|wed|thu|fri|sat|sun)))",
        r"\bpaid\b(?<!get\spaid)(?<!got\spaid)(?<!gets\spaid)(?<!getting\spaid)(?<!be\spaid)"
        r"(?<!being\spaid)(?<!not\spaid)(?<!n't\spaid)(?<!never\spaid)(?<!nt\spaid)"
        r"(?!\s+(?:weekly|monthly|biweekly|bi-weekly|every|fortnightly))",
        r"\bpayed\b",
        r"^\W*(?:just\s+)?(?:sent|transferred|wired|deposited)\s+(?:over\s+)?(?:the\s+)?(?:[$£€¥]|\d|usd|gbp|eur|"
        r"cad|aud|sgd|rm|rs)",
        r"\balready\s+(?:sent|paid|payed|transferred|made|settled|cleared|mailed|submitted|took\s+care|"
        r"taken\s+care|done|did|zelle|venmo|wired|deposited|handled|sorted)",
        r"\b(?:i|we|my\s+\w+|he|she|they)\s+(?:just\s+)?(?:sent|transferred|wired|mailed|zelled|"
        r"venmoed|dropped\s+off|deposited|posted|cleared|settled)\s+(?:over\s+)?(?:it|the\s+(?:money|"
        r"payment|funds|check|cheque|balance|amount|full|whole|rest|\$|£|€|\d)|a\s+(?:check|cheque|payment|"
        r"money\s+order)|payment|you\s+(?:the|a|\$|£|€|\d|it|payment|money)|\$|£|€|\d)",
        r"\b(?:payment|transfer|money|check|cheque|it|transaction|funds)(?:\s+of\s+\S+)?\s+(?:already\s+)?(?:went\s+"
        r"through|went\s+in|gone\s+in|went\s+out|came\s+out|cleared|"
        r"was\s+(?:made|sent|processed|submitted|taken|completed|received)|"
        r"has\s+(?:been\s+|already\s+been\s+)?(?:made|sent|processed|cleared|gone\s+through|posted|"
        r"received)|is\s+(?:done|complete|processed|made|sent)|posted|got\s+sent)",
        r"\bmade\s+(?:the|a|my|that)\s+(?:payment|transfer)|\bmade\s+payment",
        r"\b(?:payment|money|funds|check|cheque|transfer)(?:\s+of\s+\S+)?\s+(?:already\s+|was\s+|"
        r"has\s+been\s+)?(?:sent|made|"
        r"done|submitted|processed|completed|transferred|mailed|posted|deposited|received)\b",
        r"\b(?:was|were|been|is|'s|has\s+been|have\s+been)\s+(?:already\s+)?settled",
        r"\bcheck\s+is\s+in\s+the\s+mail",
        r"\b(?:i|we)\s+did\s+pay\b|\b(?:i|we)\s+(?:have|'ve)\s+(?:already\s+)?(?:settled|cleared)\b",
        r"\b(?:i|we)\s+(?:settled|cleared)\s+(?:the|my|this|that|it)\b",
        r"^[\s\W]*(?:just\s+|already\s+)?(?:sent|transferred|mailed|wired|zelled|venmoed)\s+(?:it|the|you|"
        r"\$|£|€|\d|payment|over|via|through|by|this|yesterday|last)",
        r"\bsent\s+(?:it|the\s+(?:money|payment|funds|check|cheque))\s+(?:via|through|by|on|over|yesterday|"
        r"this|last|already)",
        r"\b(?:took|taken)\s+care\s+of\s+(?:it|this|that|the)\b(?<!will\stake)",
        r"\b(?:been|was|is|'s)\s+(?:already\s+)?taken\s+care\s+of\b",
        r"\bit'?s\s+(?:been\s+)?(?:done|settled|sorted)\b",
        r"\bpd\s+(?:in\s+full|it|off|yesterday|yday|today)\b|\bpaid\s+off\b",
        r"\b(?:settled|cleared)\s+(?:it\s+|this\s+|the\s+\w+\s+)?(?:through|via|with|by|using|on\s+the|last|"
        r"yesterday|yday|this\s+morning)\b|^\W*(?:cleared|settled)\s+(?:it|this|that|the)\b",
        r"\bsent\s+it\s+(?:just\s+now|already|earlier|this\s+morning|yesterday|yday)|\bsalary\s+deduction|"
        r"\b(?:was|were|been)\s+(?:cleared|paid\s+off|deducted)\b",
    ),
    hardship=_c(
        r"\bnothin[g']?\s+(?:is\s+)?(?:coming|comin[g']?)\s+in\b|\bno\s+(?:income|paycheck|pay\s+check|wages?|work)\s+(?:till|til|until|since|right\s+now|at\s+the\s+moment|coming\s+in)\b",
        r"\b" + _CANT + r"\s+(?:\w+\s+){0,2}?(?:pay|afford|make|manage|cover|send|do\s+it|"
        r"do\s+(?:the|this|that|any|anything)|come\s+up)\b",
        r"\b(?:unable|not\s+able|won'?t\s+be\s+able|will\s+not\s+be\s+able|not\s+in\s+a\s+position)\s+to\b",
        EN_UNSURE + r"when\s+(?:i'?ll|i\s+will|i\s+can|"
        r"i'?d|i\s+could|i'?m\s+going\s+to|i\s+am\s+going\s+to|i'?ll\s+ever)\b",
        r"\b(?:i'?m|im|i\s+am)\s+(?:not|no\s+longer)\s+working\b|\bout\s+of\s+a\s+job\b",
        r"\bpension\w*|\bfixed\s+income|\bretired\b|\blow\s+income|\bon\s+benefits|\buniversal\s+credit|"
        r"\bsocial\s+security|\bwelfare\b|\bfood\s+stamps|\bhomeless|\bevicted|\bhad\s+a\s+baby|\bnew\s+baby",
        r"^\W*(?:no\W+|sorry\W+)?(?:i\s+)?(?:just\s+)?(?:can'?t|cannot|cant)\W*$",
        r"\b(?:can'?t|cannot|cant|unable\s+to)\s+(?:deal|cope|handle|think\s+about|face)\b|\bbad\s+place\b|"
        r"\bmental\s+health|\bdepress\w*|\banxiety|\bgrie(?:f|ving)|\bbereave\w*|\bcarer\b|\bcaring\s+for",
        r"\b(?:can'?t|cannot|cant)\s+(?:right\s+now|at\s+the\s+moment|atm|now|this\s+month|yet|rn)\b",
        r"\bjust\s+can'?t\b",
        r"\bno\s+(?:money|income|cash|funds|job|work|savings)\b",
        r"\bbroke\b(?!\s+down)",
        r"\blost\s+(?:my|our|his|her)\s+(?:job|work|income|house|home|business)",
        r"\blaid\s+off|\blay\s*off|\bunemployed|\bout\s+of\s+(?:work|a\s+job)|\bjobless|\bfired\b",
        r"\bfurlough\w*|\bredundan\w*",
        r"\bhours?\s+(?:got\s+|were\s+|have\s+been\s+|been\s+)?(?:cut|reduced)",
        r"\bsick\b|\bhospital\w*|\bsurgery|\bcancer|\bmedical|\bdisabilit\w*|\bdisabled|\bchemo",
        r"\bbenefits\s+(?:were\s+|got\s+|have\s+been\s+|been\s+)?(?:stopped|cut|suspended|delayed|sanctioned)",
        r"\bstruggl\w*",
        r"\b(?:money|things|finances|cash)\s+(?:is|are|'s|has\s+been)\s+(?:\w+\s+)?tight",
        r"\btight\s+(?:right\s+now|this\s+month|on\s+money|at\s+the\s+moment)",
        r"\bbehind\s+on\b|\bdrowning\b|\bswamped\b|\bfalling\s+behind",
        r"\bpayment\s+plan|\bplan\b",
        r"\binstall?ments?\b|\binstal(?:l)?ments?\b",
        r"\bextension\b",
        r"\bmore\s+time\b|\bextra\s+time\b|\bsome\s+time\b(?!\s+(?:this|next|tomorrow|today))",
        r"\b(?:bit|little|tad)\s+(?:longer|more\s+time)",
        r"\bbreathing\s+room|\bhardship(?!\s+(?:team|department|dept|line|unit|officer|desk))",
        r"\b(?:tough|hard|difficult|rough)\s+(?:time|times|patch|period)|\bfinancial(?:ly)?\s+"
        r"(?:difficult|hardship|struggl|trouble|stress)|\bmoney\s+is\s+(?:short|tight|tough)|"
        r"\bshort\s+on\s+(?:money|cash)|\bmaternity|\bpaternity|\bsick\s+leave",
        r"\bdebt\s+(?:advisor|adviser|advice|charity|counsel\w*|management)|\bstepchange|"
        r"\bcitizens\s+advice|\bnational\s+debtline|\bcredit\s+counsel\w*|\bdmp\b",
        r"\b(?:a\s+)?(?:few|couple(?:\s+of)?)\s+more\s+(?:days|weeks|months)\b",
        r"\breduc\w*",
        r"\blower\s+(?:the\s+|my\s+)?(?:payments?|amount|balance|interest|monthly)",
        r"\bless\s+(?:each|per|a|every)\s+(?:month|week)|\bpay\s+less\b|\bsmaller\s+(?:payments?|amounts?)",
        r"\bskip\s+(?:a|this|next|one|the)\b",
        r"\bwaive|\bforgive|\bsettle\s+for\s+less|\bsettlement(?!\s+(?:figure|amount|quote|balance|letter))(?<!there\sa\ssettlement)(?<!there\sany\ssettlement)|\bdiscount(?<!there\sa\sdiscount)(?<!there\sany\sdiscount)",
        r"\b(?:stop|freeze|pause|remove|drop|knock\s+off|take\s+off|cancel|write\s+off)\s+(?:\w+\s+)?"
        r"(?:interest|late\s+fees?|fees|charges)",
        r"\bwork\s+(?:something|it|this)\s+out|\bwork\s+with\s+me",
        r"\b(?:all|everything|it|the\s+whole\s+\w+)\s+at\s+once",
        r"\bdivorc\w*|\bsingle\s+(?:mom|mum|mother|dad|parent)|\bwidow\w*",
        r"\bcar\s+broke|\brepairs?\b|\bevict\w*|\bpaycheck\s+to\s+paycheck",
        r"\bback\s+on\s+my\s+feet",
        r"\bdefer\w*|\bpostpon\w*|\bpush\s+(?:it|this|that|the\s+\w+)\s+back|\bforbearance",
        r"\bhold\s+off|\bpause\s+(?:the|my|payments|it|this)",
        r"\bgive\s+me\s+(?:a\s+)?(?:bit|little|while|break|chance|some\s+time|more\s+time|time)",
        r"\bwent\s+bust|\bwent\s+under|\bclosed\s+down|\bshut\s+down",
        r"\bwhen\s+i\s+can\b|\bwhen\s+(?:i\s+have|i\s+get)\s+(?:the\s+)?(?:money|funds|cash|a\s+job|work)",
        r"\b(?:once|when|until|till)\s+i\s+(?:find|get)\s+(?:a\s+)?(?:new\s+)?(?:job|work)",
        r"\brent\b|\bbills\s+(?:to\s+pay|piling|are)",
        r"\bbad\s+(?:spot|way|situation|position|state)|\bfreez\w*|\bpause\b|\bput\s+(?:it|this|the\s+\w+)\s+on\s+hold",
        r"\bflood\w*|\bhouse\s+fire|\bfire\s+(?:at|in|destroyed|took)|\bthere\s+was\s+a\s+fire|\bburn(?:ed|t)\s+down|"
        r"\blost\s+everything|\bhurricane|\bstorm\s+damage|\bearthquake|\btornado",
        r"\b(?:business|company|shop|store|restaurant)\s+(?:\w+\s+)?(?:failed|folded|collapsed|closed|went\s+under)",
        r"\bnothing\s+(?:in\s+(?:my|the)\s+(?:account|bank)|left\s+(?:after|in))|\bin\s+(?:the\s+)?hospital|"
        r"\bhospitali[sz]ed|\binjur\w*|\baccident\b|\billness|\bpregnan\w*|\bon\s+(?:unpaid\s+)?leave\b",
        r"\b(?:hours|pay|wages|salary|income)\s+(?:got\s+|were\s+|was\s+|have\s+been\s+|has\s+been\s+)?"
        r"(?:cut|reduced|slashed|halved|stopped)|\bcut\s+my\s+(?:hours|pay|wages|salary)|\bbe\s+patient",
        r"\bimpossible\b|\bsmaller\b|\bsomething\s+(?:lower|less|manageable|affordable)|\b(?:kids|children)\s+alone|"
        r"\bsingle\s+parent|\b(?:husband|wife|partner)\s+left\b|\bleft\s+me\b",
        r"\bstroke\b|\bheart\s+attack|\brecover\w*|\btreatment\b|\bdiagnos\w*|\bbetween\s+jobs|\boff\s+work\b|"
        r"\bpay\s+for\s+(?:the|a|his|her|my\s+\w+'s)\s+funeral|\bfuneral\s+(?:costs?|expenses|bills?)",
        r"\bharvest|\bcrops?\b|\bdrought|\bseasonal\b|\b(?:slow|off|quiet|dead)\s+season|\bwiped\s+(?:us\s+|me\s+)?out|"
        r"\bmade\s+redundant|\b(?:ran|run|running)\s+out\s+of\s+(?:money|savings|cash)|\b(?:has|have)\s+run\s+out|"
        r"\bbenefits?\s+(?:\w+\s+){0,2}(?:stopped|ended|cut|suspended|late)|\bno\s+longer\s+(?:get|receive)|"
        r"\bcan'?t\s+find\s+(?:a\s+)?(?:job|work)|\bsplit\s+(?:it|this|the\s+\w+)\s+(?:up|into)|"
        r"\bsmaller\s+(?:chunks|bits|instalments|installments)|\bspread\s+(?:it|this|the\s+\w+)\s+(?:out|over)",
    ),
    refuse=_c(
        r"\bpay\s+it\s+yourself\b",
        r"\bno\s+way\s+jos[eé]\b",
        r"\b(?:will\s+not|won'?t|wont|shall\s+not)\s+be\s+(?:making|paying|sending|remitting)\s+(?:any|a|this|the)\b",
        r"\bthe\s+answer\s+(?:is|remains|stays)\s+(?:still\s+)?(?:no|a\s+no|nope)\b",
        r"\b" + _IM + r"\s+not\s+(?:\w+\s+)?(?:paying|gonna\s+pay|going\s+to\s+pay|giving|payin)",
        r"\bnot\s+(?:paying|gonna\s+pay|going\s+to\s+pay|payin)\b",
        r"\bnever\s+(?:paying|gonna\s+pay|going\s+to\s+pay|pay(?!\s+(?:late|on)))\b",
        r"\b(?:won'?t|will\s+not|wont|refuse\s+to|refusing\s+to|ain'?t|aint)\s+(?:\w+\s+)?(?:pay|paying|give)\b",
        r"\bno\s+way\s+(?:i'?m|i\s+am|im|i'?ll|i\s+will|in\s+hell)\b",
        r"\bdone\s+paying",
        r"\bi\s+refuse\b",
        r"\b(?:don'?t|do\s+not|dont)\s+(?:expect|hold\s+your\s+breath)\b",
        r"\b(?:won'?t|will\s+not|wont|never\s+gonna|not\s+gonna)\s+(?:see|get|receive)\s+(?:a|one|another|any)\s+"
        r"(?:cent|penny|dime|dollar|thing|red\s+cent|nickel)",
        r"\b(?:not|never)\s+(?:getting|gonna\s+get|going\s+to\s+get|seeing|get)\s+(?:a|one|another|any)\s+"
        r"(?:cent|penny|dime|dollar|thing|red\s+cent|more|nickel)",
        r"\bnot\s+(?:a|one)\s+(?:cent|penny|dime|red\s+cent|nickel)\b",
        r"\bno\s+intention\s+of\s+paying|\bnot\s+interested\s+in\s+paying",
        r"^\W*(?:forget\s+it|forget\s+about\s+it)\b",
        r"\bforget\s+it\b",
        r"\bnot\s+my\s+problem|\bsue\s+me\b|\bgood\s+luck\s+(?:with\s+that|collecting|getting)",
        r"\bcome\s+and\s+get\s+it|\btry\s+(?:and|to)\s+(?:make\s+me|collect)",
        r"\bscrew\s+you|\bget\s+lost\b|\bpiss\s+off|\bgo\s+to\s+hell\b",
        r"^\W*(?:that'?s\s+|it'?s\s+|this\s+is\s+)?not\s+happening\b|\bkeep\s+dreaming\b",
        r"\b(?:you|u)(?:'ll|\s+will|\s+are|'re)?\s+(?:get|getting|gonna\s+get)\s+nothing\b",
        r"\b(?:you'?ll|you\s+will|u\s+will|u'?ll|you'?re|you\s+are)\s+never\s+(?:see|get|receive|getting|seeing)\b",
        r"^\W*(?:nope\W+|no\W+|nah\W+)?(?:never|hell\s+no|not\s+a\s+chance|fat\s+chance|dream\s+on|"
        r"in\s+your\s+dreams|no\s+chance)\W*$",
        r"\bnot\s+a\s+chance\b|\bfat\s+chance\b|\bdream\s+on\b|\bin\s+your\s+dreams\b|\bhell\s+no\b",
        r"\bnot\s+(?:gonna|going\s+to)\s+happen|\bnever\s+gonna\s+happen|"
        r"\b(?:not|never)\s+(?:seeing|getting|gonna\s+(?:see|get))\s+(?:that|this|my|your|any|a)\s+"
        r"(?:money|cash|penny|cent|dime)|\bnot\s+giving\s+(?:u|you|ya)\s+(?:a|one|any)\b|"
        r"\bpound\s+sand|\bkick\s+rocks|\btake\s+a\s+hike|\bbite\s+me\b|\bup\s+yours|\bget\s+bent|"
        r"\bover\s+my\s+dead\s+body|\b(?:ain'?t|aint|not)\s+happening\b|\byeah\s+right\b|"
        r"\bno\s+way\s+(?:am\s+i|i'?m)\b|\bwhistle\s+for\s+it|\bjog\s+on\b|\bget\s+stuffed|"
        r"\bnot\s+(?:giving|paying)\s+(?:you\s+)?(?:a\s+)?(?:penny|cent|dime|dollar|thing)|"
        r"\b(?:decided|chosen)\s+not\s+to\s+pay|\bwhy\s+should\s+i\s+pay\b",
    ),
    callback=_c(
        r"\b(?:call|ring|phone|telephone|buzz)\s+(?:me|us)\b",
        r"\bcall\s+(?:me\s+)?back\b|\bcallback\b|\bcall\s+my\s+(?:cell|phone|mobile|number)",
        r"\bgive\s+(?:me|us)\s+a\s+(?:call|ring|bell)",
        r"\b(?:speak|talk|chat)\s+(?:to|with)\s+(?:a|an|someone|somebody|some\s+one|a\s+real|a\s+live|"
        r"the|your|a\s+human|an\s+actual|one\s+of\s+your|a\s+person)\b",
        r"\b(?:real|live|actual)\s+(?:person|human|agent)|\bhuman\b",
        r"\b(?:an?|your|the)\s+(?:agent|representative|operator|supervisor|manager|rep)\b",
        r"\bwhat\s+(?:number|phone\s+number|#)\s+(?:do|can|should)\s+i\s+call|\bnumber\s+(?:to|i\s+can)\s+call",
        r"\bwho\s+(?:can|do|should|could)\s+i\s+(?:call|ring|phone|speak\s+to|talk\s+to)",
        r"\b(?:talk|speak|discuss)\s+(?:\w+\s+){0,2}?(?:on|over)\s+the\s+phone|\bprefer\s+(?:to\s+talk\s+)?"
        r"(?:on\s+the\s+|a\s+)?(?:phone|call)",
        r"\bphone\s+call\b",
        r"\b(?:can|could|will|would)\s+(?:someone|somebody|you|u|one\s+of\s+you)\s+(?:please\s+)?"
        r"(?:call|ring|phone)",
        r"\b(?:have|get|ask)\s+(?:someone|somebody|a\s+\w+|your\s+\w+)\s+(?:to\s+)?(?:call|ring|phone|"
        r"contact)\s+me",
        r"\breach\s+me\s+(?:at|on)|\bmy\s+(?:number|cell|phone)\s+is|\bcontact\s+me\s+(?:at|on|by\s+phone)",
        r"\bplease\s+call\b",
        r"^\W*(?:an?\s+|the\s+)?(?:agent|human|operator|representative|rep|real\s+person|live\s+agent)\W*$",
        r"\b(?:call|ring|phone)\s+(?:me\s+)?(?:at\s+|on\s+)?\+?\(?\d",
        # a meeting or a call instead of messages: "face to face at a branch", "just call"
        r"\bface\s+to\s+face\b|\bin\s+person\b|\b(?:someone|somebody|anyone)\s+(?:i|we)\s+(?:can|could)\s+"
        r"(?:speak|talk)\s+(?:to|with)\b",
        r"\b(?:just|pls|please)\s+call(?:\s+(?:me|us))?\W*$|\bcall\s+(?:me\s+)?instead\b",
        r"\b(?:pls|plz|please)\s+call\b(?!\s+(?:cent(?:er|re)|back\s+later))",
    ),
    question=_c(
        r"\b(?:settlement|payoff|pay-off|payout)\s+(?:figure|amount|quote|balance|letter)|\b(?:is|are)\s+there\s+(?:a|any)\s+(?:discount|settlement|reduction)",
        r"\?",
        r"^\W*(?:how|what|whats|when|where|who(?!\s+cares)|whos|why|which|is\s+(?:this|there|it)|are\s+you|"
        r"do\s+(?:you|i)|does|did\s+you|can\s+(?:i|you)|could\s+(?:i|you)|will\s+(?:i|you))\b",
        r"\bhow\s+(?:much|do|can|did|does|to|is|long|many)\b",
        r"\bwhat\s+(?:is|are|do|does|company|happens|happen|'s)\b|\bwhat'?s\b",
        r"\bwho\s+(?:is|are|r)\b|\bwhere\s+(?:do|can|is|should|are)\b|\bwhen\s+(?:is|do|does|are)\b",
        r"\btell\s+me\s+(?:the|my|how|what|where|who|when)|\blet\s+me\s+know\s+(?:the|my|how|what|where)",
        r"\b(?:want|need|would\s+like|like)\s+to\s+know\b|\bwondering\b",
        r"\b(?:don'?t|do\s+not|dont)\s+(?:know|understand|get)\s+what\s+(?:this|that|it)\s+(?:is|'?s|means)",
        r"\bsend\s+me\s+(?:a|the|my)\s+(?:statement|link|bill|invoice|details|breakdown)",
        r"\baccount\s+number|\bsort\s+code|\brouting\s+number|\bpayoff\s+amount|\bminimum\s+payment",
        r"\bdue\s+date|\bopening\s+hours|\bwebsite\b",
        r"\b(?:can|could|do|does|will)\s+(?:i|you|u)\s+(?:pay|accept|take)\s+(?:\w+\s+)?(?:by|with|via|through|"
        r"using|over|online|in\s+cash)\b|\bpayment\s+(?:link|options?|methods?|address|details)\b|"
        r"\b(?:is|are)\s+there\s+(?:a|an|any)\s+(?:discount|app|minimum|fee|option|way)|"
        r"\bwhat'?s\s+the\s+minimum|\bminimum\s+(?:i|amount|payment)|\bcredit\s+(?:score|report|rating|file)\b|"
        r"\bdo\s+you\s+(?:offer|have|accept|take)\b",
    ),
    wh=rx(r"\b(?:how|where|what|which|who|whom|why|whether)\b"),
    promise=_c(
        r"\b(?:"
        + _WILL
        + r"|i\s+can|we\s+can|can|i\s+could|could|i'?d|i\s+would|"
        + _IM
        + r"\s+(?:going\s+to|gonna|able\s+to|planning\s+(?:on|to)|trying\s+to|about\s+to|"
        r"happy\s+to|willing\s+to|ready\s+to|hoping\s+to|aiming\s+to|looking\s+to)|gonna|going\s+to|"
        r"i\s+(?:plan|intend|want|hope|promise|aim|expect|mean|wanna|wish)\s+to|"
        r"let\s+me|i'?d\s+(?:like|love|be\s+happy|be\s+able|prefer)\s+to|"
        r"(?:i|we)\s+should|should\s+be\s+able\s+to|able\s+to|i\s+(?:may|might)|wanna|"
        r"i\s+can\s+only|can\s+only|i\s+said\s+i'?d|i\s+said\s+i\s+would)\s+"
        + _ADV
        + _PAYV
        + r"\b",
        r"\b"
        + _IM
        + r"\s+(?:(?:just|still|also|definitely|gonna\s+be|going\s+to\s+be)\s+)?(?:paying|"
        r"sending|transferring|wiring|mailing|putting|making\s+(?:a|the)\s+payment)\b",
        r"^[\s\W]*(?:ok\W*|okay\W*|sure\W*|yes\W*|yeah\W*|fine\W*|alright\W*)?(?:paying|sending|"
        r"transferring|wiring|will\s+pay|will\s+send|can\s+pay|can\s+do|could\s+do)\b",
        # "pay you tomorrow", "send u 50 fri": the customer's shorthand for "I'll pay you"
        r"^[\s\W]*(?:ok\W*|okay\W*|sure\W*|yes\W*|yeah\W*|fine\W*|alright\W*)?(?:pay|send)\s+(?:you|u|ya)\b",
        r"\b(?:pay|send)\s+(?:you|u|ya)\s+"
        r"(?:now|today|tonight|tmrw|tmr|tmw|tomorrow|tomoz|2moro\w*|2morrow|day\s+after|next|this|on|by|"
        r"(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\b|"
        r"(?:mon|tues|wednes|thurs|fri|satur|sun)day|\$|£|€|\d)",
        r"\byou'?ll\s+(?:have|get|see|receive)\b|\byou\s+will\s+(?:have|get|see|receive)\b",
        r"\b(?:payment|it|money|check|cheque|transfer)(?:\s+of\s+\S+)?\s+(?:will|should|is\s+going\s+to|'ll|"
        r"is\s+gonna)\s+"
        r"(?:go\s+out|be\s+(?:made|sent|there|in|paid|done|settled|cleared)|come|hit|arrive|post|clear|"
        r"reach)",
        r"\b(?:it|this|the\s+(?:balance|debt|rest|bill))\s+(?:will|'ll|should)\s+be\s+(?:paid|sent|"
        r"settled|cleared|taken\s+care\s+of|sorted)",
        r"\bexpect\s+(?:the\s+|my\s+|a\s+)?(?:payment|money|funds|transfer)|\bpayment\s+(?:is\s+)?coming",
        r"\bwill\s+do\b|\bworking\s+on\s+(?:it|this|that|paying|the\s+payment|getting)|"
        r"\b(?:i'?m|im|i\s+am)\s+on\s+it\b|^[\s\W]*on\s+it\b",
        r"^\W*(?:yes\W+)?i\s+will\W*$",
        r"\bif\s+(?:i|we)\s+(?:pay|send|paid|sent|can\s+pay|do)\b",
        r"\bi\s+promise\b",
        r"\bi\s+got\s+(?:u|you|chu)\b|\bi\s+gotchu\b|\b(?:omw|on\s+my\s+way)\s+to\s+(?:the\s+bank|pay|the\s+branch)",
        r"\b(?:best|easiest|better|good|easier)\s+(?:time\s+)?(?:for\s+me\s+)?to\s+pay\b",
        r"\b(?:paying|sending|transferring)\s+(?:it|this|that|you|u|the\s+\w+|now|today|tonight|tmrw|tmr|tmw|tomorrow|tomoz|2moro\w*|2morrow|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|(?:mon|tues|wednes|thurs|fri|satur|sun)day|\$|£|€|\d)",
        r"\b(?:i'?ll|i\s+will|will|gonna|going\s+to)\s+(?:call|ring|phone|go|stop\s+by|come\s+in)\s+"
        r"(?:\w+\s+){0,3}?to\s+(?:pay|make\s+(?:a|the)\s+payment|settle)",
    ),
    offer_question=_c(
        r"\b(?:can|could|may|might|shall)\s+(?:i|we)\s+(?:just\s+|please\s+|maybe\s+)?(?:pay|send|do|make|"
        r"give|transfer|settle|clear|start)\b",
        r"\b(?:is|would|will)\s+(?:it|that)\s+be\s+(?:ok|okay|alright|possible|fine)\s+(?:if|to)\b",
        r"\b(?:can|could|would|will)\s+(?:you|u)\s+(?:accept|take|do|settle\s+for|work\s+with)\b",
        r"\b(?:is|would|does)\s+(?:\$|£|€)?\d[\d,.]*\s*(?:k\s+)?(?:ok|okay|enough|fine|work|do|good)\b",
        r"\bhow\s+about\b|\bwhat\s+about\b|\bwould\s+(?:that|this|it)\s+(?:be\s+)?(?:ok|okay|work|do|help)",
        r"\b(?:that|this|it)\s+(?:ok|okay|work|good|fine)\s*\?|\bok\s*\?|\bdeal\s*\?",
    ),
    time_request=_c(
        r"\b(?:can|could|may)\s+(?:i|we)\s+(?:please\s+)?(?:have|get|wait|do\s+it|pay\s+it)\s+"
        r"(?:until|till|til|by|to)\b",
        r"\b(?:give|grant|allow|let)\s+(?:me|us)\s+(?:\w+\s+)?(?:until|till|til|to)\b",
        r"\bextension\s+(?:until|till|to)\b",
        r"\b(?:defer|postpone|push|move|delay)\b",
        r"\b(?:need|want|have)\s+(?:until|till|til)\b",
        r"\bwait\s+(?:until|till|til)\b",
        # "can I have another month?", "give me one more week": a stated span
        r"\b(?:can|could|may)\s+(?:i|we)\s+(?:please\s+)?(?:have|get)\s+(?:another|one\s+more|an\s+extra|"
        r"a|an)\s+(?:day|week|month|couple|fortnight)",
        r"\b(?:give|grant|allow)\s+(?:me|us)\s+(?:another|one\s+more|an\s+extra|a|an)\s+"
        r"(?:day|week|month|fortnight)",
        r"\b(?:i|we)\s+(?:need|just\s+need)\s+(?:another|one\s+more|an\s+extra)\s+(?:day|week|month)",
    ),
    cant_until=_c(
        r"\b(?:can'?t|cannot|cant|can\s+not|won'?t\s+be\s+able\s+to|unable\s+to|not\s+able\s+to|"
        r"won'?t|will\s+not|not\s+(?:till|until))\b[^.?!,]{0,40}?\b(?:until|till|til|before)\b",
    ),
    uncertain=_c(
        r"\b(?:when|once|whenever|as\s+soon\s+as|soon\s+as|until|till|after)\s+(?:i|we)\s+(?:have|got|find|"
        r"can|land|save|recover|win|sell|am\s+able|'m\s+able|'m\s+back|am\s+back|'m\s+working|"
        r"am\s+working|start\s+working|get\s+(?:a|some|the|back|money|work|more|better|on)|"
        r"have\s+(?:the\s+)?money|'m\s+(?:better|employed|on\s+my\s+feet)|am\s+(?:better|employed))\b",
        r"\b(?:when|once|whenever|as\s+soon\s+as|soon\s+as|until|till|after)\s+(?:i'?m|im|we'?re)\s+(?:back|working|"
        r"employed|better|on\s+my\s+feet|able|paid\s+again|out\s+of\s+(?:the\s+)?hospital)\b",
        r"\bback\s+on\s+my\s+feet|\bwhen\s+things\s+(?:get\s+better|improve|pick\s+up|settle)",
        r"\b(?:when|once|after|until|till)\s+(?:my\s+|the\s+|our\s+)?(?:business|work|sales|trade|shop|"
        r"harvest|season|crop|things|orders?)\s+(?:picks?\s+up|improves?|gets?\s+better|recovers?|comes?\s+in|"
        r"is\s+(?:in|back|better))",
        r"\bwhen\s+possible\b|\bif\s+(?:and\s+when|ever)\b|\bsomeday|\bone\s+day\b",
        r"\b(?:if|when|once)\s+(?:i|we)\s+(?:ever\s+)?win\b|\blottery\b|\bif\s+(?:i|we)\s+(?:ever\s+)?(?:get|have)\s+"
        r"(?:the\s+|any\s+|some\s+)?(?:money|cash|funds|a\s+job|work)\b",
    ),
    negated_before=rx(
        r"(?:\bnot|n't|\bnever|\bno\s+way|\bnor|\brefuse\s+to|\bwon'?t|\bcannot|\bcant|\bdont|\bwont|"
        r"\bunable\s+to|\bno\s+intention\s+of|\bnot\s+going\s+to|\bwhat\s+if|\baint|\bain'?t|\bdone|"
        r"\bstop|\bstopped|\bquit|\bfinished|\bsick\s+of|\btired\s+of)\s+(?:\w+\s+)?$"
    ),
    block=_c(
        r"\bpaid\b(?<!get\spaid)(?<!got\spaid)(?<!be\spaid)|\balready\b|\bsent\b|\bcharged\b|\bfee\b|\bfees\b",
        r"\b(?:call|ring|phone|text|email)\s+(?:me|us)\b|\bcall\b",
        r"\bstop\b(?!\s+by)|\bquit\b|\bleave\b|\bremove\b|\bunsubscribe\b|\bless\b|\blower\b|\breduce",
        r"\bcan'?t\b|\bcannot\b|\bcant\b|\bwon'?t\b|\bnot\b|\bnever\b|\bno\b",
        r"\bowe\b|\bborrowed\b|\bloan\s+was\b|\bbalance\s+(?:is|was|should)\b|\bhow\b|\bwhat\b|\bwhy\b|"
        r"\bwho\b|\bwhere\b|\bwas\b|\bwere\b|\bhave\s+to\b|\bneed\s+to\b",
    ),
    ack=_c(
        r"^\W*(?:ok(?:ay)?|k|kk|okie|okey|got\s+it|gotcha|noted|received|thanks?|thank\s+(?:you|u)|thx|ty|tq|"
        r"cheers|hi|hello|hey|yo|yes|yeah|yep|yup|ya|no|nope|nah|sure|fine|cool|lol|lmao|haha+|hmm+|"
        r"merry\s+christmas|happy\s+(?:new\s+year|holidays|thanksgiving|easter)|good\s+(?:morning|"
        r"afternoon|evening|night)|have\s+a\s+(?:good|nice|great)\s+(?:day|one|weekend)|you\s+too|"
        r"same\s+to\s+you|bye|see\s+you|understood|alright|right|great|perfect|will\s+check|"
        r"who\s+cares|sorry|oops|wow|what|huh|ok\s+thanks?|thanks?\s+ok)\b",
        r"\b(?:thanks?|thank\s+you|thx|ty)\b",
    ),
    auto_reply=_c(
        r"\bautomatic\s+reply\b|\bauto-?\s?reply\b|\bautoreply\b|\bout\s+of\s+(?:the\s+)?office\b|"
        r"\bthis\s+is\s+an\s+automated\b|\bauto-?generated\b|\bon\s+(?:annual\s+)?leave\s+until\b",
        r"^\W*(?:liked|loved|laughed\s+at|emphasi[sz]ed|disliked|questioned)\s+[\"']",
    ),
    clause_split=rx(
        # (?<!\s) and possessive runs keep long whitespace runs linear.
        r"[.!?;:\n]+|,|(?<!\s)\s++-\s|\s\+\s?|\s&\s|"
        # Conjunctions; each starts with its literal first letter (fast to skip), then
        # checks it starts a word. "try and pay" is one clause.
        + "|".join(
            w[0] + r"(?<![a-z0-9_]" + w[0] + ")" + w[1:] + r"(?![a-z0-9_])"
            for w in (
                "and",
                "but",
                "so",
                "though",
                "although",
                "because",
                "cause",
                "cuz",
                "coz",
                "plus",
                "then",
                "also",
                "however",
                "except",
                "unless",
                "otherwise",
                "whereas",
                "while",
                "if",
            )
        ).replace(r"nd(?![a-z0-9_])", r"nd(?<!try\sand)(?<!go\sand)(?<!come\sand)(?![a-z0-9_])", 1)
    ),
)


# ----------------------------------------------------------------------------- Chinese

_SURNAMES = (
    "张王李赵刘陈杨黄周吴徐孙马胡朱郭何罗高林郑梁谢唐许冯宋韩邓彭曹曾田萧肖潘袁蔡蒋余于杜叶程魏苏吕丁"
    "任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付傅方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱"
    "戴严莫孔向常汤康易乔赖文施洪辛柯庄欧阳上官司马诸葛"
)
# "还" is "pay back" unless it means "still" (还有, 还是, 还在, 还没 ...).
_PAY_ZH = (
    r"(?:还(?![有是在没要得欠显发打能可会不差剩想用说算行挺好催])|转|付(?!房租|学费|医药)|交(?!学费|房租|医药)|缴(?!学费)|打款|打钱|汇款|汇|结清|"
    r"补上|补齐|到账|打过去|打给你们|打到|存进去|存钱|去银行)"
)
_STOPZH = r"[^，,。.!?！？；;\n]"

ZH = Lexicon(
    legal=_z(
        r"律师|律所|法务|起诉|上诉|法院|法庭|诉讼|打官司|告你们|告到|去告|我要告|告上|传票|仲裁|立案",
        r"破产|清算",
        r"投诉|举报|银保监|银监|保监|金融监管|监管部门|监管局|人民银行|人行|12378|12363|12315|12345(?![0-9])|消协|"
        r"消费者协会|曝光|媒体",
        r"报警|警察|公安|110",
        r"律师函",
        r"判决|一审|二审|强制执行|调解书",
    ),
    legal_not=_z(
        r"(?:公司|单位|老板|工厂|厂子|店|工作的地方|企业)" + _STOPZH + r"{0,4}?(?:破产|倒闭|清算)"
    ),
    wrong_party=_z(
        r"没有(?:叫|姓)\S{1,4}?的(?:人|员工|同事)|查无此人",
        r"紧急联系人|我(?:只|就|只不过|仅仅|仅)是(?:他|她|" + _STOPZH + r"{1,3})?(?:的)?"
        r"(?:同事|朋友|邻居|室友|同学|亲戚|房东|租客)",
        r"打错|发错|找错人|弄错人|认错人|错号|搞错人|(?<![费易款账钱笔单])不是我本人(?!办|借|申请|操作|消费|签|刷|用|开)",
        r"不是本人(?!办|借|申请|操作|消费|签|刷|用|开)|本人不是",
        r"不认识(?:这个人|此人|他|她|你(?:们)?(?:说|找)的(?!(?:这个|那个|这家|那家)?(?:平台|公司|app|贷款|网贷|机构|银行))|["
        + _SURNAMES
        + r"])|机主(?:已经)?(?:换|不是)|换人了",
        r"查无此人|没有这个人|没这个人|没有此人|我不姓|(?:号码|手机号|电话号码?)(?:也)?(?:弄|搞|打|发|留)?错了",
        r"(?:儿子|女儿|老公|老婆|丈夫|妻子|爸|妈|父亲|母亲|哥|姐|弟|妹|前夫|前妻|孩子)(?:欠|借)的(?:钱|债|款)?"
        r"(?:关我|跟我|和我|与我)(?:有)?(?:什么|啥|屁)(?:事|关系)",
        r"不是" + _STOPZH + r"{1,4}的(?:手机|电话|号码|号)",
        r"(?:号码|手机号?|电话)(?:也|都)?(?:已经)?不是(?:他|她|" + _STOPZH + r"{1,4})的",
        r"(?:号码?|手机号?)(?:是)?(?:我)?(?:刚|新|才)(?:办|买|换|注册)的|新办的号|刚办的号|刚换的号|换号了|"
        r"号码?(?:已经)?换人了|号码是我(?:刚|新)",
        r"我是(?:他|她|"
        + _STOPZH
        + r"{1,3}的)(?:妈|爸|妈妈|爸爸|母亲|父亲|老婆|老公|妻子|丈夫|爱人|媳妇|"
        r"儿子|女儿|哥|姐|弟|妹|朋友|同事|家人|亲戚|室友|房东|领导|老板|邻居|女朋友|男朋友|对象|嫂子|舅|姨|"
        r"叔|姑|婶|外婆|奶奶|爷爷|外公|孙)",
        r"去世|过世|离世|已故|身故|病逝|(?:他|她|人)(?:已经)?死了|不在人世",
        r"(?:他|她)(?:已经|去年|前年|上个月|今年|早就)走(?:了|的)",
        r"是我(?:的)?(?:爸|妈|老公|老婆|哥|姐|弟|妹|儿子|女儿|父亲|母亲|丈夫|妻子|前夫|前妻|爷爷|奶奶)的(?:卡|贷款|"
        r"账户|账号|钱|债|欠款)",
        r"(?:借钱|借款|欠钱|贷款|欠款|欠债)的(?:人)?是(?:我|他|她)(?:的)?(?:爸|妈|老公|老婆|哥|姐|弟|妹|儿子|"
        r"女儿|父亲|母亲|丈夫|妻子|前夫|前妻|家人|亲戚|朋友)",
        r"是我(?:的)?(?:爸|妈|老公|老婆|哥|姐|弟|妹|儿子|女儿|父亲|母亲|丈夫|妻子|前夫|前妻)(?:借|欠|办)的",
        r"我不是[" + _SURNAMES + r"]|我不叫|我(?:也)?不姓",
        r"^(?:你好\W?|您好\W?)?这(?:里|边)?是"
        + _STOPZH
        + r"{0,10}?(?:诊所|医院|公司|餐厅|饭店|酒店|学校|物业|办公室|门店|超市)",
        r"没有?(?:这个|此|这位)(?:员工|同事|人|客户)|(?<![我打])(?<!我的)(?<!本人)(?:公司|单位|办公室|门店|店里|医院|诊所)(?:的)?(?:座机|电话|号码|固话)",
        r"不是你们要找的人|你们找的人不是我|不是我要找|你找错",
        r"(?:他|她)是我(?:的)?(?:儿子|女儿|老公|老婆|丈夫|妻子|爸|妈|父亲|母亲|哥|姐|弟|妹|朋友|亲戚)",
        r"不是(?:他|她|本人|机主)(?:在)?用|(?:他|她)(?:已经)?不用这个(?:号|手机|电话)",
        r"(?:帮|替)(?:我)?(?:的)?(?:老公|老婆|丈夫|妻子|爱人|爸|妈|儿子|女儿|哥|姐|弟|妹|朋友|家人|同事)"
        r"(?:回复|回|说|转告|处理)",
    ),
    dispute=_z(
        r"不是我借的|不是我的(?:钱|账|债|贷款|卡|欠款|账户)?|不是我(?:本人)?(?:办|借|刷|消费|申请|开通|签|用|花|操作|开)的",
        r"没借过|(?:从来?)?没(?:有)?" + _STOPZH + r"{0,8}?(?:借|贷|办|申请|用|开通|签)过",
        r"没有(?:这笔|这个|此|什么)(?:贷款|借款|欠款|账|钱|账户|卡)|没欠(?:过|你们|这么多)|不欠",
        r"不认(?!识)|不认可|不承认",
        r"金额(?:算的|算得)?(?:不对|有误|错了)|(?:算|计算)(?:的|得)不对|数额不对|数目不对|算错|乱算|乱收|多收|多扣|重复扣|扣了两次|扣两次|重复收|乱扣|扣错|收错|弄错",
        r"盗刷|被盗|盗用|冒用|冒名|被人(?:刷|用|盗|借)|被骗",
        r"(?:拿|用)我(?:的)?(?:身份证|身份|名字|信息|证件|手机号?)|(?:被|让)(?:别人|人|他|她)(?:拿去|拿|冒用|盗用)|"
        r"还(?:在)?扣(?:我)?|明明(?:已经)?(?:还|转|付)(?:了|过)",
        r"用我(?:的)?(?:身份证|身份|名字|名义|信息|证件|资料)|(?:身份证|身份|信息|证件)(?:被|让人)|以我的名义|我的名义",
        r"(?:扣|收|划)(?:了)?(?:我)?(?:两|2|二|三|3)次|又(?:扣|收|划)(?:了)?|重复(?:扣|收|划)",
        r"(?:从来?|根本)?(?:没|没有|未|不)(?:经过?)?(?:我)?(?:同意|授权|答应)|乱(?:收|扣|加|算|计)",
        r"(?:账单|金额|费用|利息|账目|扣款|数字|系统)有问题|不合理|核算|重新算|(?<!结清)(?<!还款)证明(?!吗|\?)|合同(?!编号|号|编码|期限|到期|在哪)|凭证|依据|凭什么",
        r"(?<!会不会是)(?<!是不是)(?<!还是)诈骗(?!吗|吧|短信|信息|电话|邮件)|(?<!还是)骗子(?!吗)|骗人|骗钱|明明只|只欠|只借了|才借了|根本不知道|根本没有|莫名其妙|高利贷|砍头息|套路贷",
        r"不是我开通|没开通|没有开通|没申请过|没有申请",
        r"不认识(?:你们)?(?:说的)?(?:这个|那个|这家|那家)?(?:平台|公司|app|网贷|机构)|没听说过(?:这个|你们|这家)?(?:的)?(?:平台|公司|app)",
        r"(?:利息|费用|违约金|手续费|罚息)(?:怎么)?(?:这么|太)(?:高|多)",
        r"(?:利息|金额|费用|账单|数额|数目|违约金|手续费|罚息|滞纳金)(?:算|计算|收)?(?:得)?(?:不对|错了|有误|算错)",
        r"(?:这么|那么|太)(?:多|高)(?:的)?(?:利息|费用|违约金|手续费|罚息)",
        r"不予认可|并未告知|没有告知|未告知|多算|重复了|收回去|拍卖了|并非本人|非本人|"
        r"质量问题|没收到货|没发货|退货|坏的|不接受|什么鬼|根本没说|对不上|多出|超出部分|超过\d+%|"
        r"(?:注销|销户|结清|还清)了?(?!的话)[^，,。？?]{0,8}(?:怎么(?!算|计算|收|还)|哪来|为什么|还有|又)|怎么还(?:有|在|收)|怎么又|哪来的",
    ),
    fraud=rx(
        r"盗刷|被盗|盗用|冒用|冒名|被人(?:刷|用|盗)|被骗|诈骗(?!短信|信息|电话|邮件)|身份证|名义|用我(?:的)?(?:身份|名字|信息)"
    ),
    paid=_z(
        # "已经说了月底还" (I already said I'd pay) is not paid; "一早就转" is "first thing".
        r"(?:已经?|早(?<!一早)就|早已|刚刚?|之前就)(?!说|讲|告诉|答应|保证|承诺|跟你们说)"
        + _STOPZH
        + r"{0,16}?(?:还(?![有是在没要得欠显发打能可会不差剩想用说算行挺好催])|"
        r"转|付|交|缴|结清|打款|打钱|汇|打过去|打过来|打给你们|打到|到账)",
        r"打过去了|打到你们|汇过去了|到账了",
        r"(?:还|转|付|交|缴|汇|充)(?:款|钱|账|清|完|上|过去|进去|过|给你们)?了(?!之后|以后|后)",
        r"(?:打|存|汇)(?:给你们|过去|到你们\S{0,4}|进去|到账)了",
        r"结清了|还过|转过|付过|已还|已付|已转|已缴|已结清|已处理",
        r"(?:还|转|付|交)的(?!话|时候)",
    ),
    hardship=_z(
        ZH_ASK_LOWER,
        r"分(?:几|多少|多)期",
        r"还不起|还不上|还不了|还不出|付不起|付不了|交不起|拿不出|凑不(?:齐|出|够)|没有?能力|无力偿还|无力",
        r"一分钱都没(?:有)?|身无分文|分文没有",
        r"没钱|没有钱|没(?:有)?收入|没工作|没有工作|失业|下岗|裁员|被辞|辞退|被开除|找不到工作|工作丢了",
        r"生病|住院|医院|手术|病了|看病|治病",
        r"困难|手头紧|手头紧张|资金紧张|周转不|紧张|压力(?:很|太|好)?大",
        r"分期|分\s*[0-9一二两三四五六七八九十]+\s*期|延期|延迟|推迟|宽限|缓(?:几天|一缓|一下|缓|一段)|晚(?:几天|几个)|"
        r"晚(?:点|些|一点|一些)(?:再)?(?:还|给|交|付)|"
        r"协商|方案|商量",
        r"减免|免息|停息|挂账|免(?:了|掉|除|一点|些)|能不能免|只还本金|少还|减少|降低|打折|便宜|"
        r"(?:给|给我|能不能|可不可以|可以)(?:个|点|一点|些)?优惠|优惠(?:一点|一些|点)",
        r"亏了|亏损|倒闭|工资(?:都)?没发|没发工资|拖欠工资|欠薪",
        r"有钱(?:了)?(?:再|就|会|一定|肯定)|手头宽裕|宽裕(?:了|点)|等我(?:找到|有)|缓过来|实在没办法|没办法|"
        r"出了事|出事了|家里有事",
        r"给(?:我)?(?:点|一点|些|一些|一段|多点|多些)时间|再给我(?:点|些)?时间|多给(?:点|些)?时间|"
        r"通融|帮帮忙|揭不开锅|吃不上饭|离婚|车祸",
        r"生意(?:失败|不好|黄了|垮了|赔了)|失败了|(?:一屁股|一身|好多)(?:的)?债|负债|被裁|裁了|没了工作|工作没了|停工|停产|"
        r"降薪|减薪|工资(?:降|减|少)|孩子上学|学费|房租|手头(?:真的|实在|有点|比较)?(?:不行|不方便|不宽裕)|"
        r"生病|病倒|住院|做(?:完)?手术|出院|怀孕|坐月子|产假|火灾|着火|水灾|淹了|地震|家里出事|家里有人",
        r"生(?:完)?(?:孩子|小孩|宝宝)|没(?:有)?上班|不能上班|上不了班|病好|康复|治疗|化疗|等我(?:出院|好了|回来)",
        r"冻结|暂停|停一停|个性化|延期|展期|缓一缓|缓缓|(?:降低|减少|调低|少)(?:一点|一些)?(?:每月|每个月|月)?(?:的)?还款",
        r"瘟|赔进去|血本无归|没法上班|上不了班|离职了没|"
        r"收成|庄稼|遭灾|受灾|淡季|工伤|拖欠|周转不(?:开|过来|动)|压力山大|以贷养贷|网贷太多|全崩了|赔得精光|赔光|"
        r"芭比q|破产了|被辞退|没活干|没活儿|揭不开|(?:利息|罚息|违约金)(?:能不能|可不可以|能否)?(?:全)?免|缓一个月|"
        r"缓(?:一|两|几)个?(?:月|星期|周)|没得钱|钱不够",
    ),
    refuse=_z(
        r"不再(?:偿还|还款|支付|还钱)|决定不(?:再)?(?:还|偿还|支付)|做(?:你的|你们的|你)?(?:春秋大|白日)梦",
        r"不还(?<!不是不还)(?<!如果不还)(?<!要是不还)(?<!若不还)(?!款日|不)",
        r"不会还|不想还|不打算还|没打算还|不准备还|不可能还|拒绝还|拒还|不会给|不给(?:你们|钱)",
        r"要钱没有|要命一条|爱怎么(?:样|办|着)|不给(?:了)?(?=$|[，,。!！\s])|想都别想|(?:还|给)(?:你|你们)?个(?:屁|毛|锤子|鬼|头)|门都没有|不可能(?:给|还)|爱咋咋|别想(?:了)?(?:拿|要)",
        r"一分(?:钱)?(?:都|也)(?:不(?:会|给|还|想|可能)|没(?:打算|想))|随便你们|随你们|爱咋|有本事|告去吧|你们看着办|休想|没门|做梦",
        r"不会偿还|不予偿还|拒绝偿还|不会支付|有钱也不还|懒得还|拉倒吧|死心吧|不可能还|你觉得我会还|还个屁|凭什么还|别做梦|发梦",
    ),
    callback=_z(
        r"(?:打|回)(?:我|个|一下|给我)?(?:的)?(?:电话|手机)|给我(?:打|回)(?:个)?电话|打电话给我|打给我",
        r"(?:再|回头|晚点|下班|稍后|等会儿?)(?:我)?(?:打给你|给你打|回你电话|回电话给你)",
        r"回电|来电|打我(?:这个)?(?:号|手机)|打这个(?:号|电话)|电话(?:沟通|联系|说|里说|谈|详谈)",
        r"打电话(?!.{0,2}骚扰)",
        r"拨打|打(?:我)?(?:另一个|另外一个|另外的|其他|别的|这个)(?:号|电话|手机)|(?:联系|找)我(?=.{0,3}$)|(?:号码|电话|手机)(?:是)?\s*1[3-9]\d{9}",
        r"人工|客服(?!电话(?:是)?多少|热线(?:是)?多少)|经理|主管|负责人|真人|找个人|找人跟我|找人给我",
        r"打过来|打回给我|call我|通话|回个电话|回电话",
        r"(?:找|让|叫)(?:你们)?(?:的)?(?:领导|经理|主管|负责人|上级|老板)",
        r"当面(?:谈|聊|说|沟通|商量|处理)|call\s*me|不要机器人|别用机器人|我(?:打|拨)过去",
    ),
    question=_z(
        r"\?|吗|呢|怎么|怎样|如何|多少|哪|什么|几号|几点|几时|为什么|为啥|谁|是否|能否|可否|有没有|"
        r"是不是|请问|咋",
        r"(?:电话|号码|热线)(?:是)?多少|多久|(?:能不能|可以|能)用(?:支付宝|微信|云闪付|信用卡|银行卡|花呗)|卡号发|账号发|对公账户|征信|额度|"
        r"结清证明|还款证明",
    ),
    wh=rx(r"怎么|怎样|如何|多少|哪|什么|几号|几点|为什么|为啥|谁|咋"),
    promise=_z(
        # "行吧，我还。": a bare "I'll pay" clause
        r"(?:[,.!?;，。！？；]\s*|(?:行吧|好吧|好|行)[,，]?\s*)我还(?:就是了|吧)?(?=\s*(?:[,.!?;，。！？；]|$))",
        # "在弄了在弄了", "在凑钱了": working on it
        r"在(?:弄|搞|凑|筹)(?:了|钱|着)|正在(?:凑|筹)",
        # "月底再还剩下的": paying the rest (not "还剩下", "still left")
        r"(?:再|然后|之后|就|才|月底|月末|周末|下周|下个?月|[0-9]+[号日])还(?:剩下|剩余|余下|其余)(?:的|部分)",
        r"(?:会|能|可以|一定|肯定|保证|争取|尽量|准备|打算|计划|想|要|就|先|再|马上|立刻|尽快|这就|才能|"
        r"必须|努力)" + _STOPZH + r"{0,6}?" + _PAY_ZH,
        r"把" + _STOPZH + r"{0,12}?(?:还|转|付|结清|打过去|打给|打到|汇)",
        r"(?:还|转|付|交|缴|打|汇|给)(?:你们?|给你们?|上|清|款|钱|过去|您)?\s*"
        r"(?:[0-9]|[一二两三四五六七八九十壹贰叁肆伍陆柒捌玖拾]|半|¥|\$)",
        r"(?:今天|明天|今晚|这两天|回头|我来|我)(?:就)?(?:去)?处理(?!不了)|会处理|会尽快|会还|还上|还清(?!证明)|结清(?!证明)|处理一下|马上处理|尽快处理|会想办法|想办法还",
    ),
    offer_question=_z(r"能不能|可不可以|可以吗|行不行|行吗|好吗|可以不|能否|可否|吗|\?"),
    time_request=_z(
        r"(?:等|宽限|延|推|拖|缓)(?:到|至)",
        r"给(?:我)?(?:到|至)",
    ),
    cant_until=_z(r"才能|才可以|才有钱|才会有|之后才|以后才"),
    uncertain=_z(
        r"等(?:我)?" + _STOPZH + r"{0,6}?(?:稳定|好了|好转|找到|有了|宽裕|缓过来)|"
        r"有钱(?:了)?(?:再|就|会|一定|肯定)|有钱了|有钱的时候|等我有钱|等我(?:病好|出院|康复)|手头宽裕|宽裕(?:了|点)|等我(?:找到|有)|找到工作|缓过来|好转|"
        r"条件好了|有能力(?:了)?(?:再|就)|以后再说|有了再|"
        r"(?:赔偿|补偿|拆迁|保险|理赔)(?:款|金|费)?(?:下来|到了|到账)|"
        r"等" + _STOPZH + r"{0,8}?下来(?:了)?(?:再|就)",
    ),
    negated_before=rx(
        r"(?:不|没|没有|别|无法|没法|不能|不会|不想|不打算|没打算|不可能|拒绝|没有?能力|无力|没办法|"
        r"没有?钱|钱不够|懒得|凭什么)$"
    ),
    block=_z(
        r"已|了(?:$|[，,。])|过了|的$",
        r"电话|打我|回电",
        r"不|没|别",
        r"欠|借|利息|费用|违约金|多少|怎么|吗|工资|收入|月薪|才|花",
    ),
    ack=_z(
        r"^\W*(?:好的?|好吧|好滴|收到|知道了?|嗯+|恩+|谢谢|多谢|感谢|你好|您好|ok|okay|是的?|对|行|明白|了解|"
        r"哦+|噢+|喔+|哈+|呵+|\[[^\]]{1,6}\]|在开车|在忙|不方便|稍等|新年快乐|节日快乐|晚安|早上好|"
        r"辛苦了|麻烦了|再见|拜拜)",
        r"谢谢|多谢|感谢",
    ),
    auto_reply=_z(r"自动回复|休假中|不在办公室"),
    clause_split=rx(
        r"[，,。.!?！？;；:：\n、~～]+|\s{2,}|但是|但|可是|不过|然后|所以|因为|如果|而且|另外|并且"
    ),
)

LEXICONS: dict[str, Lexicon] = {"en": EN, "zh": ZH}

#: The lexicon categories, in the order the parser reads them.
CATEGORIES: tuple[str, ...] = (
    "legal",
    "legal_not",
    "wrong_party",
    "dispute",
    "paid",
    "hardship",
    "refuse",
    "callback",
    "question",
    "offer_question",
    "block",
    "ack",
    "auto_reply",
    "promise",
    "time_request",
    "cant_until",
    "uncertain",
)
