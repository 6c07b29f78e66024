"""The demo quizzes' content: a question bank in GIFT and the settings of one quiz for six demo courses (document
security, X-ray image analysis and radiation control, in English and in Russian), and the demo cadets' attempts.

Data only; demo/courses.py turns it into rows and takes the attempts through quizzes/attempts/services.py.
Each bank has every graded question type: single and multiple choice (partial credit, penalties for wrong
choices), true/false, short answer, numerical, matching, and one essay, which an instructor grades by hand.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QuizData:
    topic: str  # the course's topic and language (demo_content.CourseData)
    language: str
    title: str
    intro: str  # Markdown
    gift: str  # the bank; its $CATEGORY lines name the bank's categories
    attempts_allowed: int = 2
    required_for_completion: bool = False
    random_category: str | None = None  # the questions of this category are drawn at random ...
    random_count: int = 0  # ... this many per attempt; the other questions are asked every time
    time_limit_minutes: int = 15
    pass_percent: float = 60.0


DOCUMENTS_EN_GIFT = """\
$CATEGORY: Top/Machine readable zone

::MRZ lines:: How many lines does the machine readable zone of a passport (a TD3 document) have? {
=two
~one
~three
~four
}

::MRZ characters:: How many characters does each line of the MRZ of a TD3 passport hold? {#44}

::MRZ abbreviation:: What does the abbreviation MRZ stand for? {
=machine readable zone
=machine-readable zone
}

::Check digit weights:: MRZ check digits are calculated with the weights 7, 3, 1, repeated from left to right, \
and the sum taken modulo 10. {T}

::Check digit of a date:: Calculate the check digit of the date of birth 740812 (weights 7, 3, 1, modulo 10). {#2}

$CATEGORY: Top/Security features

::Intaglio:: Which printing technique leaves raised print that can be felt with a fingertip and seen in oblique \
light? {
=Intaglio
~Offset lithography
~Inkjet printing
~Laser engraving of the data page
}

::OVD:: Which of these are optically variable features (their appearance changes with the viewing angle)? {
~%50%A diffractive optically variable image (DOVID, a "kinegram")
~%50%Optically variable ink
~%-50%A watermark
~%-50%Microprinting
}

::Light sources:: Match each security feature to the light in which it is best examined. {
=UV-fluorescent fibres in the paper -> ultraviolet light
=Watermark -> transmitted light
=Relief of intaglio print -> oblique (raking) light
=Retroreflective laminate -> coaxial light
}

$CATEGORY: Top/Electronic passport

::Chip facial image:: The chip of an electronic passport stores the holder's facial image. {T}

::Data group:: Which data group of the eMRTD chip holds the encoded facial image? {
=DG2
~DG1
~DG3
~DG14
}

::Second line:: A first-line officer refers a passport to you as a suspected counterfeit. Describe, step by step, \
how you examine it in the second line and what you record. {}
"""

DOCUMENTS_RU_GIFT = """\
$CATEGORY: Top/Машиносчитываемая зона

::Строки МСЗ:: Сколько строк в машиносчитываемой зоне паспорта (документ формата TD3)? {
=две
~одна
~три
~четыре
}

::Символы МСЗ:: Сколько символов в каждой строке МСЗ паспорта формата TD3? {#44}

::Аббревиатура МСЗ:: Как расшифровывается аббревиатура МСЗ? {
=машиносчитываемая зона
=машинно-считываемая зона
}

::Веса контрольной цифры:: Контрольные цифры МСЗ вычисляются с весами 7, 3, 1, повторяемыми слева направо, \
а сумма берётся по модулю 10. {T}

::Контрольная цифра даты:: Вычислите контрольную цифру даты рождения 740812 (веса 7, 3, 1, по модулю 10). {#2}

$CATEGORY: Top/Защитные элементы

::Металлография:: Какой способ печати даёт рельефное изображение, ощутимое на ощупь и заметное в косопадающем \
свете? {
=Глубокая (металлографская) печать
~Офсетная печать
~Струйная печать
~Лазерная гравировка страницы данных
}

::OVD:: Какие из этих элементов оптически переменные (их вид меняется с углом зрения)? {
~%50%Дифракционное оптически переменное изображение (DOVID, «кинеграмма»)
~%50%Оптически переменная краска
~%-50%Водяной знак
~%-50%Микропечать
}

::Источники света:: Сопоставьте защитный элемент и свет, в котором его лучше всего проверять. {
=Люминесцирующие волокна в бумаге -> ультрафиолетовый свет
=Водяной знак -> проходящий свет
=Рельеф металлографской печати -> косопадающий свет
=Световозвращающий ламинат -> коаксиальный свет
}

$CATEGORY: Top/Электронный паспорт

::Изображение лица в чипе:: Чип электронного паспорта хранит изображение лица владельца. {T}

::Группа данных:: В какой группе данных чипа eMRTD хранится закодированное изображение лица? {
=DG2
~DG1
~DG3
~DG14
}

::Вторая линия:: Сотрудник первой линии передал вам паспорт с подозрением на подделку. Опишите по шагам, как вы \
исследуете его на второй линии контроля и что фиксируете. {}
"""

XRAY_EN_GIFT = """\
$CATEGORY: Top/Colours and materials

::Organic colour:: In a dual-energy X-ray image, which colour shows organic materials (food, drugs, explosives, \
textiles)? {
=Orange
~Blue
~Green
~Black
}

::Blue:: What does blue show in a dual-energy X-ray image? {
=Metals and other heavy inorganic materials
~Organic materials
~Areas the X-rays could not penetrate
~Liquids
}

::Colours:: Match each colour of a dual-energy image to the class of material it shows. {
=Orange -> organic
=Green -> mixed or light inorganic
=Blue -> metal
=Black -> impenetrable
}

::Colour or thickness:: In a dual-energy image, the colour shows how thick an object is, not what it is made of. {F}

::Effective number:: Dual-energy scanners classify materials by their effective {=atomic} number.

$CATEGORY: Top/Image interpretation

::Black area:: An area of the image that the X-rays could not penetrate appears black and must always be \
resolved. {T}

::Indicators:: Which of these in the image of a suitcase should make you stop the belt and resolve the image? {
~%50%A uniform organic block inside the lining
~%50%A base or wall thicker than the rest of the case
~%-50%Folded clothes shown in orange
~%-50%A metal handle frame shown in blue
}

::Organic stripping:: Which image function hides organic materials so that inorganic items stand out? {
=Organic stripping
~Zoom
~Negative image
~Edge enhancement
}

::Belt time:: A conveyor moves at 0.2 m/s. How many seconds does a 0.8 m long suitcase take to pass completely \
through the scanning line? {#4}

::Resolve a black area:: The image of a passenger's bag shows a large black area. Describe how you resolve it, \
step by step, and when you call for a physical search. {}
"""

XRAY_RU_GIFT = """\
$CATEGORY: Top/Цвета и материалы

::Цвет органики:: Каким цветом на двухэнергетическом рентгеновском изображении показаны органические материалы \
(продукты, наркотики, взрывчатые вещества, ткани)? {
=Оранжевым
~Синим
~Зелёным
~Чёрным
}

::Синий цвет:: Что показывает синий цвет на двухэнергетическом изображении? {
=Металлы и другие тяжёлые неорганические материалы
~Органические материалы
~Области, которые рентгеновское излучение не пробило
~Жидкости
}

::Цвета:: Сопоставьте цвет двухэнергетического изображения и класс материала. {
=Оранжевый -> органика
=Зелёный -> смешанные или лёгкие неорганические материалы
=Синий -> металл
=Чёрный -> непроницаемый для излучения
}

::Цвет или толщина:: На двухэнергетическом изображении цвет показывает толщину предмета, а не его материал. {F}

::Эффективный номер:: Двухэнергетические сканеры различают материалы по эффективному {=атомному} номеру.

$CATEGORY: Top/Анализ изображений

::Чёрная область:: Область, которую рентгеновское излучение не пробило, выглядит чёрной и всегда требует \
выяснения. {T}

::Индикаторы:: Что на изображении чемодана должно заставить вас остановить ленту и выяснить изображение? {
~%50%Однородный органический блок внутри подкладки
~%50%Дно или стенка толще, чем остальная часть чемодана
~%-50%Сложенная одежда оранжевого цвета
~%-50%Металлический каркас ручки синего цвета
}

::Удаление органики:: Какая функция изображения скрывает органические материалы, чтобы выделить \
неорганические? {
=Удаление органики (organic stripping)
~Увеличение
~Негатив
~Подчёркивание контуров
}

::Время на ленте:: Лента движется со скоростью 0,2 м/с. За сколько секунд чемодан длиной 0,8 м полностью \
пройдёт линию сканирования? {#4}

::Выяснение чёрной области:: На изображении сумки пассажира большая чёрная область. Опишите по шагам, как вы \
её выясняете и когда назначаете досмотр. {}
"""

RADIATION_EN_GIFT = """\
$CATEGORY: Top/Units and physics

::Dose unit:: What is the SI unit of equivalent and effective dose? {
=Sievert (Sv)
~Gray (Gy)
~Becquerel (Bq)
~Roentgen (R)
}

::Units:: Match each unit to the quantity it measures. {
=Becquerel -> activity
=Gray -> absorbed dose
=Sievert -> equivalent dose
}

::Alpha:: Alpha particles are stopped by a sheet of paper or the outer layer of skin. {T}

::Becquerel:: An activity of 1 kBq is how many decays per second? {#1000}

::Inverse square:: The dose rate 1 m from a point source is 8 µSv/h. What is it 2 m from the source, in µSv/h? {#2}

$CATEGORY: Top/Detection and dual-use goods

::Portal monitor:: Which radiation do radiation portal monitors at border crossings detect? {
~%50%Gamma radiation
~%50%Neutrons
~%-50%Alpha particles
~%-50%Ultraviolet light
}

::Innocent alarm:: A portal monitor alarms on a lorry loaded with ceramic tiles. What is the most likely cause? {
=Naturally occurring radioactive material (NORM)
~Weapons-grade plutonium
~A leaking medical isotope
~A faulty detector
}

::Dual use:: Goods that can be used for both civil and military purposes are called {=dual}-use goods.

::Licence:: Goods on the EU control list of dual-use items need an export authorisation to leave the EU. {T}

::Alarm response:: A radiation portal monitor alarms on a car at your crossing point. Describe what you do, \
step by step, from the alarm to the decision on the car. {}
"""

RADIATION_RU_GIFT = """\
$CATEGORY: Top/Единицы и физика

::Единица дозы:: Какова единица эквивалентной и эффективной дозы в СИ? {
=Зиверт (Зв)
~Грей (Гр)
~Беккерель (Бк)
~Рентген (Р)
}

::Единицы:: Сопоставьте единицу и величину, которую она измеряет. {
=Беккерель -> активность
=Грей -> поглощённая доза
=Зиверт -> эквивалентная доза
}

::Альфа:: Альфа-частицы задерживаются листом бумаги или наружным слоем кожи. {T}

::Беккерель:: Активность 1 кБк — это сколько распадов в секунду? {#1000}

::Обратные квадраты:: Мощность дозы в 1 м от точечного источника 8 мкЗв/ч. Какова она в 2 м от источника, \
в мкЗв/ч? {#2}

$CATEGORY: Top/Обнаружение и товары двойного назначения

::Портальный монитор:: Какое излучение обнаруживают радиационные портальные мониторы в пунктах пропуска? {
~%50%Гамма-излучение
~%50%Нейтроны
~%-50%Альфа-частицы
~%-50%Ультрафиолетовое излучение
}

::Ложная тревога:: Портальный монитор сработал на грузовик с керамической плиткой. Какова наиболее вероятная \
причина? {
=Природные радиоактивные материалы (ПРМ, NORM)
~Оружейный плутоний
~Утечка медицинского изотопа
~Неисправность детектора
}

::Двойное назначение:: Товары, которые можно использовать как в гражданских, так и в военных целях, называются \
товарами {=двойного} назначения.

::Лицензия:: Для вывоза из ЕС товаров из контрольного списка ЕС товаров двойного назначения нужно разрешение на \
экспорт. {T}

::Действия при тревоге:: Радиационный портальный монитор сработал на легковой автомобиль в вашем пункте пропуска. \
Опишите по шагам свои действия от сигнала тревоги до решения по автомобилю. {}
"""

QUIZZES: tuple[QuizData, ...] = (
    QuizData(
        "documents",
        "en",
        "Final test: document security",
        "Eleven questions on the MRZ, security features and the chip. **15 minutes**, three attempts; your best "
        "attempt counts and you need 60 % to complete the course. The essay is marked by your instructor.",
        DOCUMENTS_EN_GIFT,
        attempts_allowed=3,
        required_for_completion=True,
    ),
    QuizData(
        "documents",
        "ru",
        "Итоговый тест: безопасность документов",
        "Одиннадцать вопросов о МСЗ, защитных элементах и чипе. **15 минут**, три попытки; засчитывается лучшая, "
        "для завершения курса нужно 60 %. Эссе оценивает преподаватель.",
        DOCUMENTS_RU_GIFT,
        attempts_allowed=3,
        required_for_completion=True,
    ),
    QuizData(
        "xray",
        "en",
        "Check yourself: reading X-ray images",
        "Five questions on colours and materials, and three drawn at random from the image interpretation "
        "questions: each attempt is a little different. **15 minutes**, two attempts; 60 % passes.",
        XRAY_EN_GIFT,
        random_category="Top/Image interpretation",
        random_count=3,
    ),
    QuizData(
        "xray",
        "ru",
        "Самопроверка: анализ рентгеновских изображений",
        "Пять вопросов о цветах и материалах и три, выбранные случайно из вопросов по анализу изображений: каждая "
        "попытка немного отличается. **15 минут**, две попытки; для зачёта нужно 60 %.",
        XRAY_RU_GIFT,
        random_category="Top/Анализ изображений",
        random_count=3,
    ),
    QuizData(
        "radiation",
        "en",
        "Test: radiation control at the border",
        "Ten questions on units, detection and dual-use goods. **15 minutes**, two attempts; 60 % passes.",
        RADIATION_EN_GIFT,
    ),
    QuizData(
        "radiation",
        "ru",
        "Тест: радиационный контроль на границе",
        "Десять вопросов о единицах, обнаружении и товарах двойного назначения. **15 минут**, две попытки; для "
        "зачёта нужно 60 %.",
        RADIATION_RU_GIFT,
    ),
)

# (cadet, the quiz's topic and language, the share of questions answered right in each of their attempts).
# Every attempt here is finished; a cadet keeps at least one attempt to try the quiz in the demo.
ATTEMPTS: tuple[tuple[str, tuple[str, str], tuple[float, ...]], ...] = (
    ("a.asanov", ("documents", "ru"), (0.9,)),
    ("f.rahimov", ("documents", "ru"), (0.4, 0.75)),
    ("d.yusupov", ("documents", "ru"), (0.55,)),
    ("b.toktogulova", ("documents", "ru"), (1.0,)),
    ("m.nazarova", ("documents", "ru"), (0.3, 0.5)),
    ("a.asanov", ("xray", "ru"), (0.7,)),
    ("d.yusupov", ("xray", "ru"), (0.45,)),
)

# Essays of finished attempts, by language, as a cadet might write them.
ESSAYS = {
    "en": "First I compare the document with a genuine specimen of the same series, then check the substrate "
    "under UV light, the intaglio in oblique light and the laminate in coaxial light. I verify every check digit of "
    "the MRZ and read the chip. I write down each finding with a photo and hand the case to the duty officer.",
    "ru": "Сначала сравниваю документ с образцом той же серии, затем проверяю бумагу в ультрафиолете, металлографскую "
    "печать в косопадающем свете и ламинат в коаксиальном. Проверяю все контрольные цифры МСЗ и считываю чип. "
    "Каждую находку фиксирую с фотографией и передаю материалы старшему смены.",
}
WRONG_SHORT = {"en": "I do not know", "ru": "не знаю"}
