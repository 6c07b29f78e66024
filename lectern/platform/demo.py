"""Demo academies and users, for a first look at Lectern. Passwords are random and returned once to print."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from lectern.extensions import DbSession
from lectern.platform.admin import services as admin
from lectern.platform.cohorts import services as cohorts
from lectern.platform.models import Academy, Cohort, Role, User

ACADEMIES = [
    # slug, name, city, country, timezone, default language
    ("rezekne", "State Border Guard College", "Rezekne", "LV", "Europe/Riga", "lv"),
    ("bishkek", "Border Service Training Centre", "Bishkek", "KG", "Asia/Bishkek", "ky"),
    ("tashkent", "Higher Military Customs Institute", "Tashkent", "UZ", "Asia/Tashkent", "uz"),
    ("dushanbe", "Border Troops Training Centre", "Dushanbe", "TJ", "Asia/Dushanbe", "tg"),
    ("almaty", "Border Service Academy", "Almaty", "KZ", "Asia/Almaty", "kk"),
]

USERS = [
    # username, first name, last name, role, academy slug, language ("": as the browser, and for a lecture hall
    # the academy's default language)
    ("admin", "Global", "Administrator", Role.GLOBAL_ADMIN, "rezekne", "en"),
    ("rezekne.admin", "Inese", "Kalniņa", Role.ACADEMY_ADMIN, "rezekne", "en"),
    ("j.ozols", "Jānis", "Ozols", Role.INSTRUCTOR, "rezekne", "en"),
    ("l.berzina", "Laura", "Bērziņa", Role.INSTRUCTOR, "rezekne", "ru"),
    ("bishkek.admin", "Чолпон", "Усенова", Role.ACADEMY_ADMIN, "bishkek", "ru"),
    ("hall.bishkek", "Lecture hall", "Bishkek 1", Role.CLASSROOM, "bishkek", ""),
    ("a.asanov", "Азамат", "Асанов", Role.CADET, "bishkek", "ru"),
    ("b.toktogulova", "Бермет", "Токтогулова", Role.CADET, "bishkek", "ky"),
    ("n.abdyldaev", "Нурлан", "Абдылдаев", Role.CADET, "bishkek", "ru"),
    ("f.rahimov", "Фаррух", "Рахимов", Role.CADET, "dushanbe", "ru"),
    ("m.nazarova", "Мадина", "Назарова", Role.CADET, "dushanbe", "tg"),
    ("s.saidov", "Сухроб", "Саидов", Role.CADET, "dushanbe", "ru"),
    ("d.yusupov", "Дилшод", "Юсупов", Role.CADET, "tashkent", "ru"),
    ("n.karimova", "Nodira", "Karimova", Role.CADET, "tashkent", "uz"),
    ("o.tursunov", "Отабек", "Турсунов", Role.CADET, "tashkent", "ru"),
    ("a.zhaksylykov", "Арман", "Жаксылыков", Role.CADET, "almaty", "ru"),
    ("a.bekova", "Айгерим", "Бекова", Role.CADET, "almaty", "kk"),
    ("y.omarov", "Ерлан", "Омаров", Role.CADET, "almaty", "ru"),
]

# Each academy's intake of cadets as a cohort: (academy slug, name, members). The courses demo enrols some.
COHORTS = [
    ("bishkek", "Border guards intake 2025, Bishkek", ("a.asanov", "b.toktogulova", "n.abdyldaev")),
    ("dushanbe", "Border troops intake 2025, Dushanbe", ("f.rahimov", "m.nazarova", "s.saidov")),
]


@dataclass(frozen=True)
class Credential:
    username: str
    password: str
    role: Role
    academy: str


def is_empty(session: DbSession) -> bool:
    return session.scalar(select(Academy.id).limit(1)) is None


def load(session: DbSession) -> list[Credential]:
    """Create the demo academies and users; return their credentials (the only time the passwords exist)."""
    academies: dict[str, Academy] = {}
    for slug, name, city, country, tz, lang in ACADEMIES:
        academy = Academy(slug=slug, name=name, city=city, country=country, timezone=tz, default_language=lang)
        session.add(academy)
        academies[slug] = academy
    session.flush()
    credentials = []
    for username, first, last, role, slug, lang in USERS:
        password = secrets.token_urlsafe(9)
        admin.create_user(
            session,
            None,
            academy_id=academies[slug].id,
            username=username,
            first_name=first,
            last_name=last,
            role=role,
            password=password,
            email=f"{username}@{slug}.example.org",
            language=lang,
        )
        credentials.append(Credential(username, password, role, academies[slug].name))
    for slug, name, usernames in COHORTS:
        cohort = Cohort(academy_id=academies[slug].id, name=name, description="")
        session.add(cohort)
        session.flush()
        members = session.scalars(select(User).where(User.username.in_(usernames))).all()
        cohorts.add_members(session, None, cohort, members)
    return credentials
