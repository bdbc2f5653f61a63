"""Words for topics: chat-aware tokenizing, stop words and class-based TF-IDF (c-TF-IDF)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from itertools import pairwise

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

_URL = re.compile(r"https?://\S+|www\.\S+|<https?://[^>]+>")
_CODE = re.compile(r"```.*?```", re.DOTALL)
# A word: letters of any script (digits, _ and inner - or ' allowed), or a run of CJK.
_WORD = re.compile(r"[^\W\d_](?:[\w]|[-'’](?=\w))*", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_KANA = re.compile(r"[\u3040-\u309f]+")  # hiragana: grammar in Japanese, never a topic word
_KATAKANA = re.compile(r"[\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]{2,}")
_SCRIPT_RUN = re.compile(
    r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[^\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")

# Chat filler: greetings, thanks, reactions and the little phrases around real questions.
_FILLER = """
    thanks thank thx ty tysm lol lmao haha hahaha omg btw tbh imo fyi rn gm gn morning evening hi
    hey hello folks guys yes yeah yep yup ok okay cool nice wow great love agreed exactly true
    totally definitely super helpful following follow thread interested dm dms dm'd sent good
    question questions honest quick curious asking friend thoughts advice appreciated lurker long
    psa random thought ok so pls please welcome oh ah wait congrats congratulations awesome
    amazing point happy glad sure really just like know think want need got get lot lots thing
    things guy anybody ping ps re don't i'm it's that's we're you're i've we've can't let's ur u
    day's today tomorrow tonight week month year hear advance time open help anyone somebody
    doing maybe understand thats dont im ive youre isnt doesnt didnt cant wont whats there's
    also still though actually probably perhaps seems seem sounds sound right well yet bit
    mean means meant say said says see seen look looks looking try trying tried use using used
    did does doing done go goes going gone went come comes came let lets ask asked tell told
    i'll you'll we'll it'll that'll they'll i'd you'd we'd it'd they're they've
    make makes made work works working way ways better best sorry np xd hmm hm ahh uh um afaik
"""
CHAT_FILLER = frozenset(_FILLER.split())
# Stop words beyond English (short lists of the commonest function words and chat filler).
_OTHER = """
    el la los las un una unos unas de del al y o u que en es por para con sin se su sus lo le
    les mi mis tu tus me te nos como más pero sí no ya muy hay esto esta este eso esa ese
    está están son ser fue era hola gracias vale bueno pues entonces también porque cuando
    o a os as um uma uns umas do da dos das no na nos nas e é em por para com sem se seu sua
    que não sim mais mas muito já isso isto essa esse está são ser foi era olá obrigado
    obrigada então também porque quando tá né
    der die das den dem des ein eine einen einem einer und oder aber nicht ist sind war
    waren sein ich du er sie es wir ihr mich dich mir dir uns euch zu im in am an auf aus bei
    mit nach von vor für über um wie was wer wo auch noch schon nur so ja nein doch mal hallo
    danke bitte gut dann wenn weil dass kann können muss habe hast hat haben
    и в во не на я он она оно они мы вы ты что как а но да нет это этот эта эти то же ли бы
    с со к ко по за из у о об от до для при так уже еще ещё вот там тут где когда если или
    был была было были быть есть мне меня тебе тебя его её ее им их нам нас вам вас всё все
    всех очень просто привет спасибо пожалуйста ну ок да-да может можно нужно надо кто чем
    的 了 是 在 我 你 他 她 它 们 我们 你们 他们 这 那 这个 那个 有 和 就 不 也 都 吗 呢 吧
    啊 哦 嗯 很 还 又 没 没有 会 要 能 可以 一个 什么 怎么 为什么 因为 所以 但是 如果 谢谢
    你好 大家 好的 一下 就是 还是 或者 然后 现在 知道 觉得 可能 应该 自己 时候 问题 一样
    です ます 私 僕 俺 方 事 感じ 今 人 時 所 気 何 彼 自分 本当 確か
"""
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | CHAT_FILLER | frozenset(_OTHER.split())
_jieba_cut: Callable[[str], list[str]] | None = None


def _han_words(run: str) -> list[str]:
    """Chinese words of a run of Han characters (jieba when installed, else the run)."""
    global _jieba_cut
    if len(run) <= 2:
        return [run]
    if _jieba_cut is None:
        try:
            import jieba

            jieba.setLogLevel(60)
            _jieba_cut = jieba.lcut
        except ImportError:  # without jieba a run of Han characters is one word
            _jieba_cut = lambda text: [text]  # noqa: E731
    return _jieba_cut(run)


def tokens(text: str) -> list[str]:
    """Word tokens of a chat message, case-folded, in any script.

    URLs and code blocks are dropped, a possessive 's is stripped; Chinese is segmented into
    words (jieba), Japanese keeps its kanji words and katakana loanwords and drops hiragana.
    """
    flat = _URL.sub(" ", _CODE.sub(" ", text)).casefold()
    out: list[str] = []
    for word in _WORD.findall(flat):
        if not _CJK.search(word):
            word = word[:-2] if word.endswith(("'s", "’s")) else word
            if len(word) > 1:
                out.append(word)
            continue
        for piece in _KANA.split(word):
            for part in re.split(r"([\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f]+)", piece):
                if _KATAKANA.fullmatch(part):
                    out.append(part)
                    continue
                if not part:
                    continue
                for run in _SCRIPT_RUN.findall(part):
                    if _HAN.fullmatch(run):  # a lone kanji or hanzi rarely names anything
                        out.extend(w for w in _han_words(run) if len(w) > 1)
                    elif len(run) > 1 and not _CJK.search(run):
                        out.append(run)
    return out


def content_tokens(text: str, hide: frozenset[str] = frozenset()) -> list[str]:
    """Tokens that carry meaning: not stop words, not chat filler, not a hidden word (such as
    a member's name or handle, matched as a whole token)."""
    return [w for w in tokens(text) if w not in STOP_WORDS and w not in hide]


def name_tokens(names: Iterable[str]) -> frozenset[str]:
    """Whole tokens that stand for members: each handle or name as one token, and each word of
    a name of several words ("Ana Silva" hides "ana" and "silva"; "komodo_wallet" hides only
    "komodo_wallet", never "komodo" or "wallet")."""
    out: set[str] = set()
    for name in names:
        folded = name.casefold().strip().lstrip("@")
        if not folded:
            continue
        out.add(folded)
        parts = folded.split()
        if len(parts) > 1:
            out.update(p for p in parts if len(p) > 1)
    return frozenset(out)


def _analyzer(text: str) -> list[str]:
    words = content_tokens(text)
    return words + [f"{a} {b}" for a, b in pairwise(words)]


def class_term_counts(
    texts: list[str], labels: np.ndarray, classes: int
) -> tuple[np.ndarray, list[str]]:
    """Term counts per class, shape (classes, vocabulary), over unigrams and bigrams of content
    words seen at least twice; texts with a negative label are ignored."""
    keep = np.flatnonzero(labels >= 0)
    if keep.size == 0:
        return np.zeros((classes, 0)), []
    vectorizer = CountVectorizer(analyzer=_analyzer, min_df=2)
    try:
        counts = vectorizer.fit_transform([texts[i] for i in keep])
    except ValueError:  # no term appears twice
        return np.zeros((classes, 0)), []
    onehot = sparse.csr_matrix(
        (np.ones(keep.size), (labels[keep], np.arange(keep.size))), shape=(classes, keep.size)
    )
    return np.asarray((onehot @ counts).todense(), dtype=float), list(
        vectorizer.get_feature_names_out()
    )


def ctfidf(per_class: np.ndarray) -> np.ndarray:
    """c-TF-IDF: tf(t, c) · log(1 + A / f(t)), where A is the average number of words per class
    and f(t) the term's frequency over all classes (the BERTopic weighting)."""
    words_per_class = per_class.sum(axis=1, keepdims=True)
    tf = per_class / np.maximum(words_per_class, 1.0)
    average = max(float(words_per_class.mean()), 1.0) if per_class.size else 1.0
    return tf * np.log(1.0 + average / np.maximum(per_class.sum(axis=0), 1.0))


def class_tfidf(texts: list[str], labels: np.ndarray, classes: int) -> tuple[np.ndarray, list[str]]:
    """c-TF-IDF scores, shape (classes, vocabulary), and the vocabulary (see `ctfidf`)."""
    counts, vocabulary = class_term_counts(texts, labels, classes)
    return ctfidf(counts), vocabulary


def same_words(
    scores: np.ndarray, vocabulary: list[str], top: int = 6, shared: int = 3
) -> np.ndarray:
    """Group index per class: classes whose `top` highest-scoring single words share `shared`
    words are joined (pass raw counts to compare the most frequent words)."""
    classes = scores.shape[0]
    group = np.arange(classes)
    single = np.array([" " not in term for term in vocabulary], dtype=bool)
    if not single.any():
        return group
    masked = np.where(single, scores, -1.0)
    best = [{i for i in np.argsort(-row, kind="stable")[:top] if row[i] > 0} for row in masked]
    for a in range(classes):
        for b in range(a + 1, classes):
            if len(best[a] & best[b]) >= shared:
                old, new = group[b], group[a]
                group[group == old] = new
    return np.unique(group, return_inverse=True)[1].ravel()


def top_terms(
    scores: np.ndarray, vocabulary: list[str], count: int = 8, hide: frozenset[str] = frozenset()
) -> list[str]:
    """The best-scoring terms of one class, skipping terms whose words are already covered
    and terms with a hidden word (such as a member's name)."""
    chosen: list[str] = []
    covered: set[str] = set()
    for index in np.argsort(-scores, kind="stable"):
        if scores[index] <= 0 or len(chosen) >= count:
            break
        term = vocabulary[index]
        words = set(term.split())
        if words <= covered or words & hide:
            continue
        chosen.append(term)
        covered |= words
    return chosen


def trim(text: str, limit: int = 90) -> str:
    """One line, at most `limit` characters, cut at a word boundary with an ellipsis."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"
