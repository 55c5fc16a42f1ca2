"""Shared by the benchmarks: a deterministic corpus of realistic titles, typo queries, stores.

Everything is seeded, so two runs measure the same titles and the same queries.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from storage.db import Database, upgrade

EN_VERBS = [
    "reset", "configure", "rotate", "deploy", "restore", "request", "renew", "install", "update",
    "migrate", "debug", "monitor", "archive", "approve", "book", "order", "cancel", "export",
    "import", "share", "sign", "submit", "review", "merge", "release", "rollback", "scale",
    "backup", "encrypt", "onboard", "offboard", "escalate", "schedule", "report", "track",
    "verify", "connect", "disconnect", "provision", "clean up", "tag", "label", "estimate",
    "benchmark", "profile", "translate", "document", "automate", "audit", "refund",
]
EN_NOUNS = [
    "VPN token", "staging database", "laptop", "office badge", "parking spot", "expense report",
    "vacation request", "SSH key", "API key", "release branch", "feature flag", "Kafka topic",
    "Grafana dashboard", "on-call rotation", "payroll export", "invoice", "contract", "NDA",
    "Jira board", "Confluence space", "Slack channel", "Discord server", "GitHub repository",
    "CI pipeline", "Docker image", "Kubernetes cluster", "Terraform state", "S3 bucket",
    "DNS record", "TLS certificate", "password manager", "2FA device", "printer", "meeting room",
    "travel budget", "conference ticket", "training budget", "hiring pipeline", "interview loop",
    "performance review", "salary review", "sick leave", "remote setup", "monitor stand",
    "coffee machine", "kitchen fridge", "guest Wi-Fi", "backup generator", "shelter route",
    "incident postmortem", "customer escalation", "pricing page", "sales deck", "brand assets",
    "design system", "mobile build", "app store listing", "analytics events", "data warehouse",
    "ETL job", "cron job", "log retention", "error budget", "load balancer", "rate limiter",
    "search index", "cache cluster", "message queue", "feature toggle", "beta program",
]
EN_PLACES = [
    "in Kyiv office", "in Lviv office", "for new hires", "for contractors", "on macOS",
    "on Windows", "on Linux", "during an outage", "after hours", "before release",
    "for the mobile team", "for the data team", "for finance", "for HR", "for support",
    "in production", "in staging", "for clients in the EU", "during blackouts",
    "on the weekend", "for the Q3 roadmap", "in the new CRM", "without admin rights",
    "from home", "on a business trip", "in Kharkiv hub", "in Dnipro office", "for interns",
]
EN_TEMPLATES = [
    "How to {verb} the {noun} {place}",
    "How do I {verb} a {noun} {place}?",
    "{Noun} checklist {place}",
    "Who owns the {noun} {place}",
    "Why we {verb} the {noun} every sprint",
    "Step by step: {verb} {noun} and {noun2}",
    "{Noun} vs {noun2}: which one to {verb}",
    "Troubleshooting the {noun} {place}",
    "Policy: {verb} {noun} {place}",
    "FAQ about {noun} and {noun2} {place}",
]
UK_VERBS = [
    "скинути", "налаштувати", "оновити", "розгорнути", "відновити", "замовити", "продовжити",
    "встановити", "перенести", "налагодити", "моніторити", "заархівувати", "погодити",
    "забронювати", "скасувати", "експортувати", "імпортувати", "поділитися", "підписати",
    "подати", "переглянути", "злити", "випустити", "відкотити", "масштабувати", "зашифрувати",
    "передати", "ескалювати", "запланувати", "відстежити", "перевірити", "підключити",
    "відключити", "очистити", "позначити", "оцінити", "перекласти", "задокументувати",
    "автоматизувати", "повернути",
]
UK_NOUNS = [
    "токен VPN", "тестову базу даних", "ноутбук", "офісну перепустку", "місце на парковці",
    "звіт про витрати", "заявку на відпустку", "ключ SSH", "ключ API", "гілку релізу",
    "прапорець функції", "дашборд Grafana", "графік чергувань", "рахунок", "договір",
    "дошку Jira", "простір Confluence", "канал у Slack", "сервер Discord", "репозиторій GitHub",
    "конвеєр CI", "образ Docker", "кластер Kubernetes", "стан Terraform", "кошик S3",
    "запис DNS", "сертифікат TLS", "менеджер паролів", "пристрій 2FA", "принтер",
    "переговорну кімнату", "бюджет на відрядження", "квиток на конференцію",
    "бюджет на навчання", "воронку найму", "цикл співбесід", "оцінку продуктивності",
    "перегляд зарплати", "лікарняний", "робоче місце вдома", "кавоварку", "холодильник на кухні",
    "гостьовий Wi-Fi", "генератор", "маршрут до укриття", "розбір інциденту",
    "скаргу клієнта", "сторінку цін", "презентацію продажів", "дизайн-систему",
    "мобільну збірку", "сторінку в App Store", "події аналітики", "сховище даних",
    "задачу ETL", "задачу cron", "зберігання логів", "балансувальник навантаження",
    "пошуковий індекс", "кластер кешу", "чергу повідомлень", "бета-програму",
]
UK_PLACES = [
    "у київському офісі", "у львівському офісі", "для новачків", "для підрядників",
    "на macOS", "на Windows", "на Linux", "під час аварії", "після роботи", "перед релізом",
    "для мобільної команди", "для команди даних", "для фінансів", "для HR",
    "для підтримки", "у продакшені", "на стейджингу", "для клієнтів з ЄС",
    "під час блекаутів", "у вихідні", "для дорожньої карти Q3", "у новій CRM",
    "без прав адміністратора", "з дому", "у відрядженні", "у харківському хабі",
    "у дніпровському офісі", "для стажистів",
]
UK_TEMPLATES = [
    "Як {verb} {noun} {place}",
    "Як швидко {verb} {noun} {place}?",
    "Чекліст: {noun} {place}",
    "Хто відповідає за {noun} {place}",
    "Навіщо ми {verb} {noun} щоспринту",
    "Крок за кроком: {verb} {noun} і {noun2}",
    "Що обрати: {noun} чи {noun2}",
    "Типові проблеми: {noun} {place}",
    "Правило: {verb} {noun} {place}",
    "Питання про {noun} та {noun2} {place}",
]


def _fill(rng: random.Random, template: str, verbs: list[str], nouns: list[str],
          places: list[str]) -> str:
    noun, noun2 = rng.sample(nouns, 2)
    return template.format(verb=rng.choice(verbs), noun=noun, noun2=noun2,
                           Noun=noun[0].upper() + noun[1:], place=rng.choice(places))


def make_titles(n: int, *, seed: int = 20261130, ukrainian_share: float = 0.5) -> list[str]:
    """``n`` distinct titles, English and Ukrainian, from templates and word lists."""
    rng = random.Random(seed)
    seen: dict[str, None] = {}
    while len(seen) < n:
        if rng.random() < ukrainian_share:
            title = _fill(rng, rng.choice(UK_TEMPLATES), UK_VERBS, UK_NOUNS, UK_PLACES)
        else:
            title = _fill(rng, rng.choice(EN_TEMPLATES), EN_VERBS, EN_NOUNS, EN_PLACES)
        if title in seen:
            # Realistic corpora repeat themselves; a team name or year keeps titles distinct.
            title = f"{title} ({rng.choice(['2024', '2025', '2026', 'v2', 'v3', 'draft'])})"
        seen.setdefault(title, None)
    return list(seen)


LATIN = "abcdefghijklmnopqrstuvwxyz"
CYRILLIC = "абвгґдеєжзиіїйклмнопрстуфхцчшщьюя"


def _letter_like(rng: random.Random, ch: str) -> str:
    return rng.choice(CYRILLIC if "а" <= ch.lower() <= "я" or ch in "ґєії" else LATIN)


def typo(rng: random.Random, title: str, edits: int) -> str:
    """The title with ``edits`` keyboard slips: insertion, deletion, swap or substitution."""
    chars = list(title)
    for _ in range(edits):
        letters = [i for i, c in enumerate(chars) if c.isalpha()]
        if len(letters) < 2:
            break
        i = rng.choice(letters)
        op = rng.choice(("insert", "delete", "swap", "substitute"))
        if op == "insert":
            chars.insert(i, _letter_like(rng, chars[i]))
        elif op == "delete":
            del chars[i]
        elif op == "swap" and i + 1 < len(chars) and chars[i + 1] != chars[i]:
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        else:
            options = [c for c in (CYRILLIC if "а" <= chars[i].lower() <= "я" else LATIN)
                       if c != chars[i].lower()]
            chars[i] = rng.choice(options)
    return "".join(chars)


def typo_queries(titles: list[str], n: int, *, seed: int = 7) -> list[tuple[str, int]]:
    """``n`` (query, index of its source title) pairs, 1-2 typos each, never the title itself."""
    rng = random.Random(seed)
    out: list[tuple[str, int]] = []
    while len(out) < n:
        idx = rng.randrange(len(titles))
        q = typo(rng, titles[idx], rng.choice((1, 2)))
        if q != titles[idx]:
            out.append((q, idx))
    return out


@contextmanager
def store(pg_url: str | None) -> Iterator[Database]:
    """A freshly migrated store: a temporary SQLite file, or a throwaway PostgreSQL database."""
    with _scratch_url(pg_url) as url:
        upgrade(url)
        db = Database(url)
        try:
            yield db
        finally:
            db.dispose()


@contextmanager
def _scratch_url(pg_url: str | None) -> Iterator[str]:
    if not pg_url:
        with tempfile.TemporaryDirectory(prefix="hromada-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    admin_url = make_url(pg_url)
    name = f"hromada_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def reachable(url: str) -> bool:
    """Whether a database answers at ``url``: benches that need PostgreSQL skip without it."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means: skip PostgreSQL
        return False


def now() -> datetime:
    return datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def summary(seconds: list[float]) -> str:
    """Mean, median and p95 in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return (f"mean {statistics.fmean(ms):7.2f} ms · median {statistics.median(ms):7.2f} ms · "
            f"p95 {p95:7.2f} ms")
