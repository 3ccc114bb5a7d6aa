"""The General commands through the emulator: /start /help /settings /profile /members,
as admin and as member, in group and in private, in zh and en."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import time, timedelta

import pytest
from telegram import ReplyParameters, Update

from bot.app import Menus, publish_commands
from emulator.core import Call
from emulator.scenario import GroupChat
from handlers.context import Ctx
from storage.groups import get_group
from storage.members import get_member
from tests.conftest import (
    Cast,
    Harness,
)


async def group_row(harness: Harness, group: GroupChat):  # type: ignore[no-untyped-def]
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        return await get_group(session, group.id)


# --- /start -------------------------------------------------------------------------


async def test_start_in_group_registers_it_and_offers_the_private_chat(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/start")
    reply = await cast.group.next_reply()
    assert "本群已登记" in reply
    assert "/members" in reply
    assert reply.button("私聊").url == "https://t.me/vanguard_bot?start=help"
    row = await group_row(harness, cast.group)
    assert row is not None and row.title == "养护一班" and row.active


async def test_start_with_this_bots_username_works_and_other_bots_are_ignored(cast: Cast) -> None:
    await cast.group.say(cast.worker, "/start@vanguard_bot")
    assert "本群已登记" in await cast.group.next_reply()
    await cast.group.say(cast.worker, "/start@other_bot")
    await cast.group.expect_silence()


async def test_start_in_private_welcomes_and_records_that_the_bot_may_write(
    harness: Harness, cast: Cast
) -> None:
    chat = cast.worker.private()
    await chat.start()
    reply = await chat.next_reply()
    assert "你好" in reply and "/help" in reply
    assert len(reply.text.splitlines()) <= 3  # a greeting, not the whole help again
    buttons = [b for row in reply.raw["reply_markup"]["inline_keyboard"] for b in row]
    links = {b["text"]: b["url"].rsplit("start=", 1)[1] for b in buttons}
    assert links == {"📝 上报问题": "report", "👤 我的资料": "profile", "📖 全部命令": "help"}
    await chat.start("profile")  # what the profile button opens
    assert "/profile name" in await chat.next_reply()
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        member = await get_member(session, cast.worker.id)
    assert member is not None and member.started_at is not None


async def test_start_with_an_unknown_deep_link_says_so_then_welcomes(cast: Cast) -> None:
    chat = cast.worker.private()
    await chat.start("checkin-doesnotexist")
    assert "无法识别" in await chat.next_reply()
    assert "你好" in await chat.next_reply()


async def test_start_in_private_in_english(cast: Cast) -> None:
    chat = cast.driver.private()
    await chat.start("help")
    reply = await chat.next_reply()
    assert "all commands" in reply and "/profile" in reply  # start=help: the full help


# --- /help --------------------------------------------------------------------------


async def test_help_in_group_for_a_member_hides_admin_commands(cast: Cast) -> None:
    await cast.group.say(cast.worker, "/help")
    reply = await cast.group.next_reply()
    assert "/members" in reply and "/help" in reply
    assert "/settings" not in reply
    assert "/profile" not in reply


async def test_help_in_group_for_an_admin_and_the_creator_shows_settings(cast: Cast) -> None:
    for admin in (cast.captain, cast.secretary):
        await cast.group.say(admin, "/help")
        assert "/settings" in await cast.group.next_reply()


async def test_help_in_private_shows_private_commands(cast: Cast) -> None:
    chat = cast.worker.private()
    await chat.send("/help")
    reply = await chat.next_reply()
    assert "/profile" in reply
    assert "/members" not in reply and "/settings" not in reply


async def test_help_in_private_is_english_for_an_english_telegram(cast: Cast) -> None:
    chat = cast.driver.private()
    await chat.send("/help")
    reply = await chat.next_reply()
    assert "Commands in our private chat" in reply


async def test_config_admins_are_admins_in_every_group(harness: Harness, db_url: str) -> None:
    world = harness.world
    boss = world.person("总", last_name="站长", username="zongzhan")
    owner = world.person("王", last_name="书记")
    await harness.runner.stop()
    harness.config = harness.config.__class__(
        telegram=harness.config.telegram,
        database=harness.config.database,
        bot=harness.config.bot.__class__(admins=(boss.id,)),
        media=harness.config.media,
    )
    await harness.restart()
    group = world.group("二班", creator=owner, members=(boss,))
    await group.add_bot(by=owner)
    await group.next_reply()
    await group.say(boss, "/settings")
    assert "本群设置" in await group.next_reply()


# --- /settings ----------------------------------------------------------------------


async def test_settings_refused_to_a_member(cast: Cast) -> None:
    await cast.group.say(cast.worker, "/settings lang en")
    assert "只有本群管理员" in await cast.group.next_reply()


async def test_settings_in_private_says_it_is_for_groups(cast: Cast) -> None:
    chat = cast.captain.private()
    await chat.send("/settings")
    assert "请在工作群里使用" in await chat.next_reply()


async def test_settings_shows_all_four(cast: Cast) -> None:
    await cast.group.say(cast.captain, "/settings")
    reply = await cast.group.next_reply()
    for fragment in ("08:00", "Asia/Shanghai", "中文", "仅工作日"):
        assert fragment in reply


async def test_settings_change_each_value(harness: Harness, cast: Cast) -> None:
    for command in (
        "/settings briefing 07:30",
        "/settings timezone Asia/Urumqi",
        "/settings workdays on",
    ):
        await cast.group.say(cast.captain, command)
        assert "已保存" in await cast.group.next_reply()
    await cast.group.say(cast.secretary, "/settings lang en")
    assert "Saved" in await cast.group.next_reply()
    row = await group_row(harness, cast.group)
    assert row is not None
    assert row.briefing_time == time(7, 30)
    assert row.timezone == "Asia/Urumqi"
    assert row.workdays_only is True
    assert row.language == "en"
    await cast.group.say(cast.worker, "/help")
    assert "Commands in this group" in await cast.group.next_reply()


async def test_settings_bad_values_name_the_problem_and_show_usage(
    harness: Harness, cast: Cast
) -> None:
    cases = {
        "/settings briefing 7.30": "HH:MM",
        "/settings timezone Asia/Beijing": "Asia/Beijing",
        "/settings lang fr": "fr",
        "/settings workdays maybe": "on 或 off",
    }
    for command, fragment in cases.items():
        await cast.group.say(cast.captain, command)
        reply = await cast.group.next_reply()
        assert fragment in reply
        assert "用法：/settings" in reply
    row = await group_row(harness, cast.group)
    assert row is not None and row.language == "zh" and row.briefing_time == time(8, 0)


async def test_settings_wrong_shape_answers_usage(cast: Cast) -> None:
    for command in ("/settings colour red", "/settings briefing", "/settings lang en zh"):
        await cast.group.say(cast.captain, command)
        assert "用法：/settings" in await cast.group.next_reply()


async def test_settings_usage_in_english(cast: Cast) -> None:
    await cast.group.say(cast.captain, "/settings lang en")
    await cast.group.next_reply()
    await cast.group.say(cast.captain, "/settings briefing")
    assert "Usage: /settings" in await cast.group.next_reply()


async def test_new_admin_is_recognised_after_the_cache_expires(
    harness: Harness, cast: Cast
) -> None:
    cast.group.promote(cast.worker)
    await cast.group.say(cast.worker, "/settings")
    assert "只有本群管理员" in await cast.group.next_reply()
    harness.clock.advance(timedelta(minutes=11))
    await cast.group.say(cast.worker, "/settings")
    assert "本群设置" in await cast.group.next_reply()
    cast.group.demote(cast.captain)
    harness.clock.advance(timedelta(minutes=11))
    await cast.group.say(cast.captain, "/settings")
    assert "只有本群管理员" in await cast.group.next_reply()


# --- /profile -----------------------------------------------------------------------


async def test_profile_in_group_points_to_the_private_chat(cast: Cast) -> None:
    await cast.group.say(cast.worker, "/profile")
    reply = await cast.group.next_reply()
    assert "请私聊我使用" in reply
    assert reply.button("私聊").url is not None


async def test_profile_shows_and_sets_name_and_joining_date(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.worker, "收到")
    await harness.world.settle()
    chat = cast.worker.private()
    await chat.send("/profile")
    reply = await chat.next_reply()
    assert "未填写" in reply and "养护一班" in reply
    await chat.send("/profile name 张卫国")
    assert "张卫国" in await chat.next_reply()
    await chat.send("/profile joined 2008-07-01")
    reply = await chat.next_reply()
    assert "2008-07-01" in reply and "7月1日" in reply
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        member = await get_member(session, cast.worker.id)
    assert member is not None
    assert member.real_name == "张卫国"
    assert member.party_joined_on is not None and member.party_joined_on.isoformat() == "2008-07-01"
    await cast.group.say(cast.secretary, "/members")
    assert "张卫国" in await cast.group.next_reply()


async def test_profile_bad_input_gets_usage_and_writes_nothing(
    harness: Harness, cast: Cast
) -> None:
    chat = cast.worker.private()
    cases = {
        "/profile joined 2008-13-01": "YYYY-MM-DD",
        "/profile joined 1900-01-01": "1921-07-23",
        "/profile joined 2999-01-01": "1921-07-23",
        "/profile name " + "长" * 40: "32",
        "/profile name": "用法：/profile",
        "/profile age 40": "用法：/profile",
    }
    for command, fragment in cases.items():
        await chat.send(command)
        reply = await chat.next_reply()
        assert fragment in reply
        assert "用法：/profile" in reply
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        member = await get_member(session, cast.worker.id)
    assert member is not None and member.real_name is None and member.party_joined_on is None


async def test_profile_in_english(cast: Cast) -> None:
    chat = cast.driver.private()
    await chat.send("/profile joined 2010-05-04")
    reply = await chat.next_reply()
    assert "Profile updated" in reply and "political birthday 5/4" in reply


# --- /members -----------------------------------------------------------------------


async def test_members_lists_roles(cast: Cast) -> None:
    await cast.group.say(cast.driver, "早上好")
    await cast.group.world.settle()  # updates of one batch run concurrently
    await cast.group.say(cast.worker, "/members")
    reply = await cast.group.next_reply()
    lines = reply.text.splitlines()
    assert "4 人" in lines[0]
    assert "王书记" in lines[1] and "群主" in lines[1]
    assert "李队长" in lines[2] and "管理员" in lines[2]
    assert "@zhang_gong" in reply and "@chen_d" in reply


async def test_members_in_private_says_it_is_for_groups(cast: Cast) -> None:
    chat = cast.worker.private()
    await chat.send("/members")
    assert "请在工作群里使用" in await chat.next_reply()


async def test_joining_and_leaving_updates_the_roster(harness: Harness, cast: Cast) -> None:
    newcomer = harness.world.person("赵", last_name="新", username="zhao_xin")
    await cast.group.join(newcomer)
    welcome = await cast.group.next_reply()
    assert "欢迎 赵新" in welcome
    button = welcome.raw["reply_markup"]["inline_keyboard"][0][0]
    assert "start=" not in button["url"]  # opens the private chat at the short greeting
    await cast.group.leave(cast.driver)
    await cast.group.say(cast.worker, "/members")
    reply = await cast.group.next_reply()
    assert "赵新" in reply and "Chen" not in reply


async def test_long_roster_is_split_under_the_telegram_limit(harness: Harness, cast: Cast) -> None:
    for index in range(120):
        person = harness.world.person(f"队员{index:03d}", last_name="同志" * 20)
        await cast.group.say(person, "收到")
    await harness.idle()  # all 120 newcomers written before the roster is asked for
    await cast.group.say(cast.worker, "/members")
    first = await cast.group.next_reply(timeout=60)  # a ceiling: 123 people on a busy machine
    second = await cast.group.next_reply(timeout=60)
    assert len(first.text) <= 4096 and len(second.text) <= 4096
    assert "123 人" in first.text  # 120 + the three who were seen; the driver never spoke
    assert "队员119" in second.text


# --- group life cycle ---------------------------------------------------------------


async def test_bot_removed_and_added_again(harness: Harness, cast: Cast) -> None:
    await cast.group.remove_bot(by=cast.secretary)
    await cast.group.expect_silence()
    row = await group_row(harness, cast.group)
    assert row is not None and not row.active
    await cast.group.add_bot(by=cast.captain)
    assert "本群已登记" in await cast.group.next_reply()
    row = await group_row(harness, cast.group)
    assert row is not None and row.active


async def test_migration_to_supergroup_keeps_settings(harness: Harness, cast: Cast) -> None:
    await cast.group.say(cast.captain, "/settings briefing 06:45")
    await cast.group.next_reply()
    supergroup = await cast.group.migrate(by=cast.secretary)
    await harness.world.settle()
    await supergroup.say(cast.captain, "/settings")
    assert "06:45" in await supergroup.next_reply()
    assert await group_row(harness, cast.group) is None
    row = await group_row(harness, supergroup)
    assert row is not None and row.chat_type == "supergroup"


# --- edits, unknown commands ----------------------------------------------------------


async def test_edited_command_is_not_run_again(harness: Harness, cast: Cast) -> None:
    sent = await cast.group.say(cast.captain, "/settings briefing 07:00")
    await cast.group.next_reply()
    await cast.group.edit(cast.captain, sent, "/settings briefing 09:00")
    assert "不会再执行" in await cast.group.next_reply()  # said, not silently ignored
    row = await group_row(harness, cast.group)
    assert row is not None and row.briefing_time == time(7, 0)


async def test_unknown_commands(cast: Cast) -> None:
    chat = cast.worker.private()
    await chat.send("/fly")
    assert "我不认识 /fly" in await chat.next_reply()
    await cast.group.say(cast.worker, "/fly")
    await cast.group.expect_silence()
    await cast.group.say(cast.worker, "/fly@vanguard_bot")
    assert "我不认识 /fly" in await cast.group.next_reply()


async def test_members_with_arguments_answers_usage(cast: Cast) -> None:
    await cast.group.say(cast.worker, "/members all")
    assert "用法：/members" in await cast.group.next_reply()


async def test_deep_link_payloads_reach_the_registered_feature(
    harness: Harness, cast: Cast
) -> None:
    from handlers.common import reply
    from handlers.private import register_payload

    seen: list[str] = []

    async def on_payload(update: Update, context: Ctx, payload: str) -> None:
        seen.append(payload)
        await reply(update, context, "签到成功")

    register_payload(harness.app, "demo", on_payload)
    chat = cast.worker.private()
    await chat.start("demo-g1-e2")
    assert "签到成功" in await chat.next_reply()
    assert seen == ["demo-g1-e2"]


async def test_command_menus_are_published_per_scope_and_language(harness: Harness) -> None:
    await published(harness)
    menus = harness.emulator.commands
    by_scope = {
        (json.loads(scope)["type"], lang): [c["command"] for c in cmds]
        for (scope, lang), cmds in menus.items()
    }
    assert "settings" in by_scope[("all_chat_administrators", "")]
    assert "settings" not in by_scope[("all_group_chats", "")]
    assert "profile" in by_scope[("all_private_chats", "")]
    assert "members" not in by_scope[("all_private_chats", "")]
    english = {
        c["command"]: c["description"]
        for c in menus[(json.dumps({"type": "all_group_chats"}), "en")]
    }
    assert english["members"] == "Member roster"


async def published(harness: Harness) -> None:
    """Wait until the menus' publication, which start-up set going, has ended."""
    task = harness.app.bot_data.state(Menus).task
    assert task is not None
    await task


async def test_the_bot_answers_before_its_menus_are_published(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_call = harness.emulator.on_call
    menus_held = asyncio.Event()

    async def hold_menus(call: Call) -> None:
        if log_call is not None:
            logged = log_call(call)
            if logged is not None:
                await logged
        if call.method == "setMyCommands":
            await menus_held.wait()

    harness.emulator.on_call = hold_menus
    await asyncio.wait_for(harness.restart(), 10)  # start-up does not wait for its menus
    chat = harness.world.person("张", last_name="工").private()
    await chat.send("/help")
    assert "/profile" in (await chat.next_reply()).text
    menus = harness.app.bot_data.state(Menus).task
    assert menus is not None and not menus.done()
    menus_held.set()
    await published(harness)
    # a refused menu is logged, and the bot goes on answering
    harness.emulator.on_call = log_call
    harness.emulator.fail("setMyCommands", 400, "Bad Request: BOT_COMMAND_INVALID")
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        await publish_commands(harness.app)
    assert "could not publish the command menu" in caplog.text
    await chat.send("/help")
    assert "/profile" in (await chat.next_reply()).text
    # stopped while its menus wait for Telegram: they are dropped, and nothing is logged
    menus_held.clear()
    harness.emulator.on_call = hold_menus
    seen = len(harness.emulator.calls)
    await asyncio.wait_for(harness.restart(), 10)
    for _ in range(1000):  # a ceiling: the menus go out half a second after start
        if any(c.method == "setMyCommands" for c in harness.emulator.calls[seen:]):
            break
        await asyncio.sleep(0.01)
    menus = harness.app.bot_data.state(Menus).task
    assert menus is not None and not menus.done()
    transport = harness.app.bot.request  # the emulator's: its close is when it is seen
    close = transport.shutdown
    open_when_dropped: list[bool] = []

    async def closing() -> None:
        open_when_dropped.append(menus.done())
        await close()

    monkeypatch.setattr(transport, "shutdown", closing)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        await harness.runner.stop()
    assert menus.cancelled() and not caplog.records, caplog.text
    assert open_when_dropped == [True]  # dropped before the connection to Telegram closed
    menus_held.set()
    await harness.restart()


def test_two_applications_keep_their_own_registrations() -> None:
    from bot.app import build_application
    from domain.config import Config, Secret, TelegramConfig
    from handlers.features import features_of
    from handlers.private import register_payload

    config = Config(telegram=TelegramConfig(token=Secret("1:" + "a" * 20)))
    first, second = build_application(config), build_application(config)
    one, two = features_of(first), features_of(second)
    assert one is not two and one.commands is not two.commands

    async def payload(update: Update, context: Ctx, text: str) -> None:
        return None

    register_payload(first, "only-first", payload)
    assert "only-first" in one.payloads and "only-first" not in two.payloads
    assert one.takers.keys() == two.takers.keys() and one.takers is not two.takers
    assert [c.name for c in one.commands] == [c.name for c in two.commands]
    assert len({c.name for c in one.commands}) == len(one.commands)
    third = features_of(build_application(config))
    assert len(third.commands) == len(one.commands)  # building again adds nothing


def test_every_handler_a_feature_names_is_there() -> None:
    import inspect

    from bot.app import build_application
    from domain.config import Config, Secret, TelegramConfig
    from handlers.features import Later, features_of, load_all

    config = Config(telegram=TelegramConfig(token=Secret("1:" + "a" * 20)))
    app = build_application(config)
    features = features_of(app)
    named = {handler.path: handler for handler in features.later}
    # every feature command is named by its module (imported when first used), in the
    # feature's own package; the shared modules' own commands (/cancel) are functions
    for spec in features.commands:
        if isinstance(spec.run, Later):
            assert spec.run.path in named and spec.run.path.split(".")[1] in FEATURES
        else:
            assert spec.run.__module__.split(".")[1] not in FEATURES, spec.name
    assert {"handlers.inspections.lists:issue_command", "handlers.schedule.sweep:sweep"} <= set(
        named
    )
    load_all(app)
    for path, handler in named.items():
        function = handler.load()
        assert inspect.iscoroutinefunction(function), path
        assert f"{function.__module__}:{function.__name__}" == path


FEATURES = {"general", "topics", "wall", "inspections", "events", "export", "schedule", "summary"}


async def test_a_handler_named_by_its_module_is_imported_and_called_on_first_use() -> None:
    from handlers.features import Later

    handler = Later("domain.text:excerpt")
    assert handler.__name__ == "excerpt" and "domain.text:excerpt" in repr(handler)
    assert handler("一二三四五六", 3) == "一二…"
    with pytest.raises(ValueError):
        Later("domain.text")
    with pytest.raises(AttributeError):
        Later("domain.text:no_such_function").load()


async def test_the_roster_lists_members_by_the_pinyin_of_their_names(
    harness: Harness, cast: Cast
) -> None:
    for name in ("周一", "艾米", "欧阳明"):
        await cast.group.say(harness.world.person(name), "收到")
    await harness.idle()
    await cast.group.say(cast.worker, "/members")
    roster = (await cast.group.next_reply()).text
    members = [line.split()[1] for line in roster.splitlines() if line.startswith("·")]
    assert members == ["艾米", "欧阳明", "张工", "周一"]  # ai, ou, zhang, zhou


async def test_a_reply_the_bot_sends_is_read_without_the_message_it_quotes(
    harness: Harness, cast: Cast
) -> None:
    """Telegram answers a reply with the quoted message inside; the bot keeps what it
    reads of its own message (id, chat, text) and skips turning the quoted one into
    objects — while the people in the group still see the reply as a reply."""
    asked = await cast.group.say(cast.worker, "/help")
    await cast.group.next_reply()
    sent = await harness.app.bot.send_message(
        cast.group.id, "收到", reply_parameters=ReplyParameters(asked["message_id"])
    )
    shown = next(c for c in reversed(harness.emulator.calls) if c.method == "sendMessage")
    assert (sent.chat_id, sent.text) == (cast.group.id, "收到")
    assert sent.reply_to_message is None
    quoted = shown.result["reply_to_message"]  # as Telegram sent it
    assert quoted["message_id"] == asked["message_id"]
    assert sent.message_id == shown.result["message_id"]
    seen = await cast.group.next_reply()
    assert seen.raw["reply_to_message"]["message_id"] == asked["message_id"]
