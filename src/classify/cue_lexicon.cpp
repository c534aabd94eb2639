#include "cue_lexicon.hpp"

namespace gaterouter::classify {

// Words that name a task, in the nine languages of the training set. With a few dozen labelled prompts per
// language, the n-grams of "traduis" or "翻译" are seen too rarely to learn; a cue feature shared by every
// language lets what English prompts teach carry over. A word matches a term when it equals it or, for terms
// of six characters or more, starts with its first six (so "summar" covers summarize, summary, summarise).
// For Chinese and Japanese, a term of one character matches that character and a longer one its first two.
// Lower case only; the extractor folds case first.
std::span<const CueTerms> cue_lexicon() {
    static const CueTerms kTerms[] = {
        {Cue::chat,
         "hi hello hey thanks thank advice recommend opinion tips hallo danke warum empfehlung tipps bonjour "
         "salut "
         "merci pourquoi conseil conseils hola gracias consejo consejos ciao grazie perché consiglio "
         "consigli olá oi "
         "obrigado obrigada conselho conselhos привет спасибо почему совет советы 你好 谢谢 为什么 建议 推荐 "
         "こんにちは "
         "なぜ おすすめ"},
        {Cue::classification,
         "classify classification categorize categorise category categories label labels labeling labelling "
         "sentiment spam intent priority positive negative neutral klassifiziere kategorie kategorien "
         "einordnen "
         "stimmung positiv negativ classe classer classifie catégorie catégories positif négatif neutre "
         "indésirable clasifica clasificar categoría categorías etiqueta sentimiento positivo negativo "
         "neutro "
         "queja classifica classificare categoria categorie etichetta sentimento positiva negativa "
         "classifique "
         "classificar rótulo классифицируй классифицировать категория категорию категории тональность "
         "позитивный негативный нейтральный спам 分类 类别 情感 正面 负面 垃圾 分類 カテゴリ 感情 ポジティブ "
         "ネガティブ スパム"},
        {Cue::summarization,
         "summarize summarise summary summaries tl tldr recap gist condense shorten zusammenfassung "
         "zusammenfassen "
         "fasse kurzfassung résume résumer résumé synthèse synthétise resume resumen resumir sintetiza "
         "riassumi "
         "riassunto sintesi sintetizza resuma resumo resumir sintetize резюме резюмируй кратко перескажи "
         "изложи суммируй 总结 概括 摘要 归纳 要点 要約 まとめ 概要"},
        {Cue::extraction,
         "extract extraction pull parse fields json extrahiere extrahieren entnimm heraus extrais extraire "
         "relève extrae extraer saca estrai estrarre extraia extrair извлеки извлечь выпиши 提取 抽取 找出 "
         "列出 "
         "抽出 取り出 抜き出"},
        {Cue::translation,
         "translate translation translated translating übersetze übersetzen übersetzung traduis traduire "
         "traduction traduisez traduce traducir traducción tradúceme traduci tradurre traduzione traduza "
         "traduzir tradução переведи перевести перевод 翻译 译成 翻訳 訳し 英訳 和訳"},
        {Cue::code,
         "code coding function python javascript typescript java rust golang sql bug bugs debug regex script "
         "api implement refactor compile compiler docker kubernetes bash shell git endpoint class method "
         "funktion programm programmieren fonction programme codice funzione programma código función "
         "programa função функцию функция код программу программа скрипт 代码 函数 程序 编程 实现 コード "
         "関数 "
         "プログラム 実装"},
        {Cue::math,
         "solve equation equations calculate calculus integral derivative probability theorem percent sum "
         "area "
         "volume triangle matrix eigenvalues berechne löse gleichung ableitung wahrscheinlichkeit beweise "
         "calcule résous équation intégrale dérivée probabilité démontre aire périmètre calcula resuelve "
         "ecuación "
         "derivada probabilidad demuestra área calcola risolvi equazione integrale derivata probabilità "
         "dimostra "
         "resolva equação demonstre вычисли реши уравнение интеграл производную вероятность докажи площадь "
         "计算 "
         "方程 求解 积分 导数 概率 证明 面积 体积 計算 方程式 求め 積分 微分 確率 証明 面積 体積"},
        {Cue::reasoning,
         "logic logical puzzle riddle deduce deduction syllogism fallacy liar lying truth argument valid "
         "constraints reasoning logik logisch rätsel schlussfolgerung lügt logique énigme raisonnement "
         "déduire "
         "ment lógica acertijo razonamiento razona deduce miente logica indovinello ragionamento deduci "
         "mente "
         "enigma raciocínio deduza логика логически загадка рассуждение лжец 逻辑 推理 谜题 如果 那么 所有 "
         "说谎 "
         "論理 推論 パズル なぞ もし すべて 嘘"},
        {Cue::creative,
         "poem poems poetry story stories haiku lyrics song slogan slogans tagline taglines joke jokes "
         "limerick "
         "sonnet fiction character characters creative imagine gedicht gedichte geschichte märchen lied witz "
         "reim "
         "poème histoire conte chanson blague poema cuento historia canción chiste eslogan poesia racconto "
         "storia canzone barzelletta filastrocca história conto canção piada стихотворение стих стихи сказку "
         "сказка песню шутку слоган 诗 故事 歌词 笑话 口号 创作 小说 詩 物語 俳句 歌詞 小説 キャッチコピー"},
        {Cue::language,
         "english french german spanish italian portuguese chinese japanese russian korean arabic dutch "
         "englisch "
         "deutsch französisch spanisch italienisch japanisch chinesisch russisch anglais allemand espagnol "
         "italien japonais chinois russe inglés alemán francés italiano japonés chino ruso inglese tedesco "
         "francese spagnolo giapponese cinese inglês alemão francês espanhol japonês chinês английский "
         "немецкий французский испанский японский китайский английский 英文 英语 中文 日语 法语 德语 英語 "
         "日本語 "
         "中国語"},
    };
    return kTerms;
}

}  // namespace gaterouter::classify
