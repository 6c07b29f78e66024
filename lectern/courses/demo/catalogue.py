"""What the demo courses' packages cannot say: where each course sits in the catalogue and who may enrol, who
teaches it, which cadets are enrolled and how far they got, and the quiz attempts they made.

Data only; demo/courses.py applies it once the packages (demo/packages/<slug>/) are imported. Courses are named by
their package's folder, `<topic>-<language>`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Placement:
    """A course's settings outside its package: catalogue category, owning academy and enrolment."""

    category: str
    academy: str = "rezekne"  # the owning academy's slug
    shared_with: tuple[str, ...] = ()  # academy slugs, for courses whose package says "shared"
    self_enrol: bool = True
    enrol_key: str | None = None
    enrol_cap: int | None = None


# Top-level categories with their children, in catalogue order.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Border control", ("Document security", "Identification and profiling")),
    (
        "Customs",
        (
            "Risk analysis",
            "X-ray and inspection technology",
            "Radiation control and dual-use goods",
            "Customs procedures and conventions",
        ),
    ),
    ("Human rights and migration", ("Vulnerable migrants",)),
)

CENTRAL_ASIA = ("bishkek", "tashkent", "dushanbe", "almaty")
PARTNERS_OF_TASHKENT = ("rezekne", "bishkek", "dushanbe", "almaty")

# The demo courses in the order they are created, each with its package's folder name.
COURSES: dict[str, Placement] = {
    "documents-en": Placement("Document security", self_enrol=False),  # trainers are nominated by their academies
    "documents-ru": Placement("Document security", shared_with=CENTRAL_ASIA),
    "xray-en": Placement("X-ray and inspection technology"),
    "xray-ru": Placement("X-ray and inspection technology", shared_with=CENTRAL_ASIA),
    # Limited by the handheld instruments available for the practical part.
    "radiation-en": Placement("Radiation control and dual-use goods", enrol_cap=24),
    "radiation-ru": Placement("Radiation control and dual-use goods", shared_with=CENTRAL_ASIA),
    "risk-en": Placement("Risk analysis"),
    "risk-ru": Placement("Risk analysis", shared_with=CENTRAL_ASIA),
    "profiling-en": Placement("Identification and profiling"),
    "profiling-ru": Placement("Identification and profiling"),
    "migrants-en": Placement("Vulnerable migrants"),
    "migrants-ru": Placement("Vulnerable migrants", shared_with=CENTRAL_ASIA),
    "kyoto-en": Placement("Customs procedures and conventions", "tashkent", PARTNERS_OF_TASHKENT),
    "kyoto-ru": Placement(
        "Customs procedures and conventions", "tashkent", PARTNERS_OF_TASHKENT, enrol_key="KYOTO2026"
    ),
}

# Who teaches the demo courses: Rezekne's instructors, by the course's language.
INSTRUCTORS = {"en": "j.ozols", "ru": "l.berzina"}
# A few cadets enrolled by hand in Russian courses; the others are left to enrol themselves.
ENROLMENTS: dict[str, tuple[str, ...]] = {
    "documents-ru": ("a.asanov", "f.rahimov", "d.yusupov", "b.toktogulova", "m.nazarova"),
    "xray-ru": ("a.asanov", "d.yusupov"),
}
# Cohorts (of lectern.platform.demo) enrolled in courses: their members are enrolled, and stay in step.
COHORT_ENROLMENTS: dict[str, tuple[str, ...]] = {
    "documents-ru": ("Border guards intake 2025, Bishkek",),
    "xray-ru": ("Border troops intake 2025, Dushanbe",),
}
# (cadet, course, how many of its first lessons are done), so that "My courses" shows progress.
PROGRESS: tuple[tuple[str, str, int], ...] = (
    ("a.asanov", "documents-ru", 2),
    ("a.asanov", "xray-ru", 1),
)

# (cadet, the course whose quiz it is, the share of questions answered right in each of their attempts).
# Every attempt here is finished; a cadet keeps at least one attempt to try the quiz in the demo.
ATTEMPTS: tuple[tuple[str, str, tuple[float, ...]], ...] = (
    ("a.asanov", "documents-ru", (0.9,)),
    ("f.rahimov", "documents-ru", (0.4, 0.75)),
    ("d.yusupov", "documents-ru", (0.55,)),
    ("b.toktogulova", "documents-ru", (1.0,)),
    ("m.nazarova", "documents-ru", (0.3, 0.5)),
    ("a.asanov", "xray-ru", (0.7,)),
    ("d.yusupov", "xray-ru", (0.45,)),
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
