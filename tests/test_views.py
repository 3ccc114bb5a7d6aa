"""Views are pure functions from data to localised Telegram HTML: tested here without
Telegram and without a database, on rows built in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.kinds import IssueEventKind, IssueStatus, TopicEventKind, TopicStatus
from handlers.events import views as event_views
from handlers.general.views import render_roster
from handlers.i18n import for_language
from handlers.inspections.views import issue_line, render_issue
from handlers.issue_lines import where_text
from handlers.topics.keyboards import claim_keyboard
from handlers.topics.views import milestone_lines, render_detail, render_list
from storage.hours import BoardLine
from storage.issue_reads import IssueDetail
from storage.issue_roster import Held
from storage.models import (
    Event,
    EventSignup,
    Group,
    Issue,
    IssueEvent,
    Member,
    Membership,
    Milestone,
    Topic,
    TopicEvent,
)
from storage.topic_reads import TopicDetail
from storage.topics import RatingSummary

NOW = datetime(2026, 3, 12, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 3, 12)
zh, en = for_language("zh"), for_language("en")


def group() -> Group:
    return Group(id=1, chat_id=-100, title="养护一班", language="zh", timezone="Asia/Shanghai")


def person(user_id: int, first: str, last: str | None = None) -> Member:
    return Member(user_id=user_id, first_name=first, last_name=last)


def topic(number: int = 1, status: TopicStatus = TopicStatus.OPEN, **fields: object) -> Topic:
    values: dict[str, object] = {
        "id": number,
        "group_id": 1,
        "number": number,
        "title": f"题目{number}",
        "description": "",
        "slots": 2,
        "claimed_count": 0,
        "status": status,
        "progress": 0,
    }
    values.update(fields)
    return Topic(**values)


def test_topic_list_groups_by_status_and_offers_free_slots() -> None:
    rows = [
        topic(1),
        topic(2, TopicStatus.CLAIMED, claimed_count=2, progress=60),
        topic(3, TopicStatus.REVIEW, claimed_count=1),
    ]
    people = {2: [person(7, "张", "工"), person(8, "Chen", "Driver")]}
    text = "\n".join(render_list(zh, rows, people, {3: RatingSummary(4.5, 2)}))
    assert text.index("#1") < text.index("#2") < text.index("#3")
    assert "张工、Chen Driver" in text and "▓▓▓▓▓▓░░░░ 60%" in text and "4.5" in text
    keyboard = claim_keyboard(zh, rows)
    assert keyboard is not None
    assert [b.callback_data for row in keyboard.inline_keyboard for b in row] == ["claim:1:list"]


def test_empty_topic_list_says_so_in_the_groups_language() -> None:
    assert render_list(en, [], {}, {})[0].startswith(en("topics.empty")[:10])
    assert claim_keyboard(zh, []) is None


def test_titles_are_escaped() -> None:
    text = "\n".join(render_list(zh, [topic(1, title="<b>桥 & 路")], {}, {}))
    assert "&lt;b&gt;桥 &amp; 路" in text


def test_milestone_marks() -> None:
    steps = [
        Milestone(id=1, topic_id=1, due_on=TODAY - timedelta(days=2), text="a", done_at=NOW),
        Milestone(id=2, topic_id=1, due_on=TODAY - timedelta(days=3), text="b"),
        Milestone(id=3, topic_id=1, due_on=TODAY + timedelta(days=5), text="c"),
    ]
    detail = TopicDetail(topic(1, TopicStatus.CLAIMED), [], steps, [], {}, {})
    lines = milestone_lines(zh, detail, TODAY)
    assert lines[1].startswith("✔") and lines[2].startswith("⚠️") and lines[3].startswith("⏳")
    assert "3" in lines[2] and "5" in lines[3]
    finished = TopicDetail(topic(1, TopicStatus.REVIEW), [], steps, [], {}, {})
    assert milestone_lines(zh, finished, TODAY)[2].startswith("○")


def test_topic_detail_shows_progress_log_and_history_in_local_time() -> None:
    events = [
        TopicEvent(id=1, topic_id=1, kind=TopicEventKind.CREATED, actor_id=1, note="", at=NOW),
        TopicEvent(
            id=2,
            topic_id=1,
            kind=TopicEventKind.PROGRESS,
            actor_id=7,
            note="一半",
            progress=50,
            at=NOW,
        ),
    ]
    people = {1: person(1, "王", "书记"), 7: person(7, "张", "工")}
    detail = TopicDetail(topic(1, TopicStatus.CLAIMED), [people[7]], [], events, people, {})
    text = "\n".join(render_detail(zh, group(), detail, NOW))
    assert "03-12 10:00 王书记" in text and "张工" in text and "50%" in text and "一半" in text


def issue(**fields: object) -> Issue:
    values: dict[str, object] = {
        "id": 1,
        "group_id": 1,
        "number": 3,
        "road": "S272",
        "stake_from": 93520,
        "stake_to": 93520,
        "category": "guardrail",
        "severity": 2,
        "description": "护栏缺损",
        "status": IssueStatus.ASSIGNED,
        "reporter_id": 7,
        "assignee_id": 8,
        "deadline": TODAY - timedelta(days=1),
    }
    values.update(fields)
    return Issue(**values)


def test_issue_line_names_the_assignee_and_the_overdue_deadline() -> None:
    line = issue_line(zh, issue(), {8: person(8, "李", "队长")}, TODAY)
    assert "#3" in line and "S272 K93+520" in line and "李队长" in line
    assert (TODAY - timedelta(days=1)).isoformat() in line


def test_issue_line_fits_a_page_whatever_the_names() -> None:
    long_name = person(8, "名" * 64, "姓" * 64)
    line = issue_line(zh, issue(description="🙂" * 60), {8: long_name}, TODAY)
    assert len(line) <= 200


def test_where_falls_back_to_the_shared_location_then_to_nothing() -> None:
    assert "23.02" in where_text(zh, issue(road=None, stake_from=None, latitude=23.02, longitude=1))
    assert where_text(zh, issue(road=None, stake_from=None)) == zh.plain("issue.no_place")


def test_issue_detail_has_history_and_duplicate() -> None:
    events = [
        IssueEvent(id=1, issue_id=1, kind=IssueEventKind.REPORTED, actor_id=7, note="", at=NOW),
        IssueEvent(
            id=2,
            issue_id=1,
            kind=IssueEventKind.ASSIGNED,
            actor_id=1,
            subject_id=8,
            note="",
            at=NOW,
        ),
    ]
    people = {1: person(1, "王", "书记"), 7: person(7, "张", "工"), 8: person(8, "李", "队长")}
    detail = IssueDetail(issue(), events, people, [], [], duplicate_of=1)
    text = "\n".join(render_issue(zh, group(), detail))
    assert "护栏缺损" in text and "张工" in text and "李队长" in text and "#1" in text
    assert "03-12 10:00 王书记" in text


# --- events ------------------------------------------------------------------------------


def event(number: int = 1, **fields: object) -> Event:
    values: dict[str, object] = {
        "id": number,
        "group_id": 1,
        "number": number,
        "kind": "volunteer",
        "title": "洁城绿生活",
        "place": "明翠社区",
        "starts_at": NOW + timedelta(days=1),
        "ends_at": NOW + timedelta(days=1, hours=2, minutes=30),
        "end_given": True,
        "cap": 12,
        "joined_count": 3,
        "waiting_count": 1,
        "walk_in": False,
        "allow_pin": False,
        "code_fallback": False,
        "latitude": None,
        "longitude": None,
    }
    values.update(fields)
    return Event(**values)


def signup(uid: int, status: str = "in", **fields: object) -> EventSignup:
    return EventSignup(event_id=1, user_id=uid, status=status, seq=uid, **fields)


def test_announcement_in_local_time_with_counts_and_escaped_title() -> None:
    text = event_views.announcement(zh, group(), event(title="<b>清扫</b>"), 2, NOW)
    assert "2026-03-13 周五 10:00–12:30" in text and "3/12" in text and "候补 1 人" in text
    assert "&lt;b&gt;清扫&lt;/b&gt;" in text and "已签到 2 人" in text
    english = event_views.announcement(en, group(), event(cap=None, waiting_count=0), 0, NOW)
    assert "3 signed up (no limit)" in english and "Fri" in english


def test_attendance_lists_times_hours_and_no_shows_once_over() -> None:
    start = NOW + timedelta(days=1)
    people = [
        (
            signup(
                1,
                checked_in_at=start,
                checked_out_at=start + timedelta(hours=1),
                minutes=60,
                method="code",
            ),
            person(1, "张", "工"),
        ),
        (signup(2), person(2, "王", "书记")),
        (signup(3, "waiting"), person(3, "李", "四")),
    ]
    running = event_views.render_attendance(zh, group(), event(), people, start)
    assert "10:00–11:00  1.0 小时（签到码）" in running[0] and "尚未签到：王书记" in running[0]
    over = event_views.render_attendance(zh, group(), event(), people, start + timedelta(days=1))
    assert "未到：王书记" in over[0] and "候补：李四" in over[0]


def test_event_lists_fit_telegram_whatever_the_titles() -> None:
    events = [event(n, id=n, title="长" * 200, place="远" * 200) for n in range(1, 200)]
    chunks = event_views.render_list(zh, group(), events, past=False)
    assert all(len(chunk) <= 4096 for chunk in chunks) and len(chunks) > 1
    board = [BoardLine(person(n, "名" * 64, "姓" * 64), 10**9, 10**6) for n in range(1, 31)]
    heading = zh("hours.title_all")
    assert all(len(chunk) <= 4096 for chunk in event_views.render_board(zh, heading, board))


def test_attendance_of_a_thousand_people_stays_a_few_messages() -> None:
    start = NOW + timedelta(days=1)
    people = [
        (signup(n, checked_in_at=start, minutes=150, method="qr"), person(n, "队员" * 20))
        for n in range(1, 1001)
    ]
    sheet = event_views.render_attendance(zh, group(), event(cap=1000), people, start)
    assert len(sheet) <= 3 and "另有 920 人" in sheet[-1]


def test_the_roster_names_the_lowest_issue_numbers_and_counts_the_rest() -> None:
    rows = [
        (person(1, "王", "书记"), Membership(group_id=1, user_id=1, role="creator", active=True)),
        (person(2, "张", "工"), Membership(group_id=1, user_id=2, role="member", active=True)),
    ]
    held = {1: Held([3, 7], 2), 2: Held(list(range(1, 11)), 556)}
    zh_lines = render_roster(zh, rows, issues=held)[0].split("\n")
    assert zh_lines[1].endswith("整改 #3 #7")
    assert zh_lines[2].endswith("整改 #1 #2 #3 #4 #5 #6 #7 #8 #9 #10 等 556 项")
    assert render_roster(en, rows, issues=held)[0].split("\n")[2].endswith("#10 … (556 in all)")
