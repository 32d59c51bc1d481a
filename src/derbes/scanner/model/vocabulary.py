"""Words the recognisers know: given names, surname and patronymic endings, places,
street words, and the context words that make a number more or less likely to be PD.

Everything is lower case; the recognisers lower-case what they compare. Kazakh is
written with its own letters (ә ғ қ ң ө ұ ү һ і); many people write their names in
Russian spelling (Нурлан for Нұрлан), so both spellings of common Kazakh names are here.
"""

from __future__ import annotations


def split_words(text: str) -> list[str]:
    """The words of a whitespace-separated list (the dictionaries below are written so)."""
    return text.split()


# ------------------------------------------------------------------ given names

KAZAKH_GIVEN_NAMES: frozenset[str] = frozenset(
    split_words("""
    абай абылай адай адил әділ айбек айдар айдос айжан айгерім айгерим айнұр айнур айсұлу
    айсулу ақбота акбота ақжол акжол ақмарал акмарал ақниет акниет әлібек алибек әлия алия
    әсел асель асел асқар аскар асхат арман аружан аслан әсем асем ардақ ардак аят бақыт бакыт
    балжан бауыржан бекзат бекжан болат ботагөз ботагоз гүлнар гульнар гүлмира гульмира гүлжан
    гульжан ғалым галым дана данияр дариға дарига дархан дәурен даурен динара ерасыл ерболат
    ергали ерғали ержан ерлан ерболат есен жазира жандос жанар жансая жасұлан жасулан жұлдыз
    жулдыз зарина зере қайрат кайрат қанат канат қарлығаш карлыгаш ләззат ляззат мадина
    мақсат максат мөлдір молдир мұрат мурат мұхтар мухтар назерке нұрлан нурлан нұрсұлтан
    нурсултан нұржан нуржан олжас салтанат саят сәуле сауле серік серик сымбат талғат талгат
    тимур толғанай толганай ұлан улан ұлжан улжан шолпан ырысты әлішер алишер бибігүл бибигуль
    ғазиза газиза дидар еркебұлан еркебулан жәнібек жанибек құралай куралай мейрамбек нұргүл
    нургуль райымбек сабина самал тоғжан тогжан ұлдана улдана іңкәр инкар
    """)
)

RUSSIAN_GIVEN_NAMES: frozenset[str] = frozenset(
    split_words("""
    александр алексей анатолий андрей антон артём артем борис вадим валентин валерий василий
    виктор виталий владимир владислав вячеслав геннадий георгий григорий даниил денис дмитрий
    евгений егор иван игорь илья кирилл константин леонид максим михаил никита николай олег
    павел пётр петр роман руслан сергей станислав степан тимофей фёдор федор юрий ярослав
    александра алёна алена алла анастасия анна валентина валерия вера виктория галина дарья
    евгения екатерина елена елизавета жанна зоя инна ирина карина кристина ксения лариса
    лидия любовь людмила маргарита марина мария надежда наталья наталия нина оксана ольга
    полина раиса светлана софия софья таисия тамара татьяна ульяна юлия яна
    """)
)

GIVEN_NAMES: frozenset[str] = KAZAKH_GIVEN_NAMES | RUSSIAN_GIVEN_NAMES

# Surnames common in Kazakhstan that carry no telling ending (Korean, Ukrainian ones).
PLAIN_SURNAMES: frozenset[str] = frozenset(
    split_words("ким цой пак ли хан тен шевченко бондаренко коваленко ткаченко кравченко")
)

# Russian-type surname endings (Kazakh surnames take them too: Ахметов, Сәрсенбаев),
# masculine and feminine; the recogniser checks the word's end.
SURNAME_ENDINGS: tuple[str, ...] = (
    "ов", "ев", "ёв", "ин", "ын", "ова", "ева", "ёва", "ина", "ына", "ский", "ская",
    "цкий", "цкая", "енко",
)

# Patronymics: Russian (-ович/-евич/-овна/-евна/-ична) and Kazakh (-ұлы/-қызы, also
# written -улы/-кызы), as a separate word or joined to the father's name.
PATRONYMIC_ENDINGS: tuple[str, ...] = (
    "ович", "евич", "овна", "евна", "ична", "инична", "ұлы", "улы", "қызы", "кызы",
)

# Capitalised words that take a surname ending but are not names: months, places,
# organisations that appear in operator texts. A short list of the usual ones.
NOT_NAMES: frozenset[str] = frozenset(
    split_words("""
    казахстан астана алматы павлодар караганда кустанай костанай петропавловск
    ростов саратов тамбов киев кишинёв минск берлин пекин лондон финансов кредитов платежей
    договоров клиентов заказов товаров отделов банков счетов пин один июнь июль ноябрь
    """)
)

# ------------------------------------------------------------------ places

CITIES: frozenset[str] = frozenset(
    split_words("""
    алматы астана нұр-сұлтан нур-султан шымкент қарағанды караганда ақтөбе актобе тараз павлодар
    өскемен усть-каменогорск семей атырау қостанай костанай қызылорда кызылорда орал уральск
    петропавл петропавловск ақтау актау түркістан туркестан талдықорған талдыкорган көкшетау
    кокшетау екібастұз экибастуз жезқазған жезказган теміртау темиртау рудный балқаш балхаш
    конаев қонаев жаңаөзен жанаозен
    """)
)

# Words that mark an address: settlement, street, building, flat (ru and kk).
# Russian abbreviations come before the name (ул. Абая), Kazakh words after it
# (Абай көшесі), house and flat numbers follow (д. 12, кв. 5; 12-үй, 5-пәтер).
RU_STREET_WORDS: tuple[str, ...] = (
    "ул.", "улица", "пр.", "пр-т", "проспект", "мкр.", "мкр", "микрорайон", "пер.",
    "переулок", "бул.", "бульвар", "ш.", "шоссе", "пл.", "площадь", "наб.", "набережная",
)
KK_STREET_WORDS: tuple[str, ...] = (
    "көшесі", "кошеси", "даңғылы", "дангылы", "ықшамауданы", "шағынауданы", "тұйық көшесі",
    "алаңы",
)
SETTLEMENT_WORDS: tuple[str, ...] = ("г.", "город", "қ.", "қаласы", "с.", "село", "ауылы", "пос.")
REGION_WORDS: tuple[str, ...] = ("обл.", "область", "облысы", "р-н", "район", "ауданы")

# ------------------------------------------------------------------ context words
# Words near a value (or in a column name) that say what the value is. Positive words
# raise confidence, negative ones (order, amount, contract) lower it.

CONTEXT_POSITIVE: dict[str, tuple[str, ...]] = {
    "iin": ("иин", "ижн", "жсн", "iin", "индивидуальный идентификац", "жеке сәйкестендіру",
            "individual identification"),
    "bin": ("бин", "бсн", "bin", "бизнес-идентификац", "бизнес сәйкестендіру"),
    "phone": ("тел", "phone", "моб", "mobile", "whatsapp", "ватсап", "номер телефона",
              "телефон нөмірі", "позвон", "перезвон", "звонил", "қоңырау", "sms", "смс", "msisdn"),
    "pan": ("карт", "card", "pan", "visa", "mastercard", "мир", "төлем картасы"),
    "pan_masked": ("карт", "card", "pan", "mask"),
    "iban": ("iban", "иик", "жск", "счет", "счёт", "шот", "account"),
    "email": ("mail", "почт", "пошта", "e-mail", "email"),
    "id_card": ("удостоверен", "уд.", "уд личн", "жеке куәлік", "жеке куәлігі", "id card",
                "id_card", "id_doc", "identity card", "документ", "құжат", "doc_number"),
    "passport": ("паспорт", "passport", "төлқұжат"),
    "birth_date": ("рожд", "д.р", "д/р", "туған", "birth", "dob", "born"),
    "address": ("адрес", "мекенжай", "address", "прожива", "тұратын", "регистрац", "тіркел"),
    "person_name": ("фио", "ф.и.о", "аты-жөні", "аты жөні", "name", "клиент", "заемщик",
                    "заёмщик", "қарыз алушы", "фамилия", "тегі", "имя", "аты"),
}

CONTEXT_NEGATIVE: dict[str, tuple[str, ...]] = {
    "iin": ("заказ", "order", "тапсырыс", "invoice", "счет-фактур", "транзакц", "transaction",
            "txn", "договор", "contract", "шарт", "артикул", "sku", "trace", "request_id"),
    "bin": ("заказ", "order", "invoice", "txn", "transaction"),
    "phone": ("тг", "тенге", "теңге", "kzt", "₸", "сумма", "amount", "сомасы", "руб", "usd",
              "заказ", "order", "txn", "баланс", "balance"),
    "pan": ("заказ", "order", "txn", "transaction", "trace", "rrn", "invoice", "ref"),
    "id_card": ("заказ", "order", "txn", "сумма", "amount", "тг", "kzt", "code", "код"),
    "passport": (),
    "birth_date": ("создан", "created", "оплат", "paid", "выдан", "issued", "due", "срок"),
}
