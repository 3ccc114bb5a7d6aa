from tests.conftest import Cast


async def test_help_in_group_as_member_hides_admin_commands(cast: Cast) -> None:
    await cast.group.say(cast.worker, "/help")
    reply = await cast.group.next_reply()
    assert "/members" in reply
    assert "/settings" not in reply
