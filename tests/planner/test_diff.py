"""The planner's pure core: desired definitions vs live inboxes, with no I/O at all.

Inputs are built directly as ``InboxDefinition`` / ``LiveInbox`` objects, in normalised form,
as the loader and a backend hand them to the planner."""

from __future__ import annotations

import copy
from typing import Any

from inboxctl.backends.base import LiveInbox
from inboxctl.definitions.model import ChannelDefinition, InboxDefinition
from inboxctl.definitions.spec import CHANNEL_FIELDS, CHANNEL_KEY, DEFAULTED_TABLES, DOCUMENT
from inboxctl.definitions.validate import defaults_of
from inboxctl.planner.diff import fingerprint, plan_changes
from inboxctl.planner.plan import CHANNEL, CREATE, DELETE, INBOX, UPDATE, FieldChange, ResourceChange


def channel(kind: str, key: str, **settings: Any) -> ChannelDefinition:
    """A channel with every setting at its default except ``settings``."""
    defaults = {name: copy.deepcopy(spec.default) for name, spec in CHANNEL_FIELDS[kind].items()
                if spec.default is not None}
    return ChannelDefinition(type=kind, settings={**defaults, CHANNEL_KEY[kind]: key, **settings})


def inbox(name: str, *channels: ChannelDefinition, **settings: Any) -> InboxDefinition:
    """An inbox with every setting at its default except ``settings``; tables are merged key by key."""
    full: dict[str, Any] = {"members": [], "teams": [], "protect": False, "business_hours": None}
    full |= {table: defaults_of(DOCUMENT[table]) for table in DEFAULTED_TABLES}
    for key, value in settings.items():
        full[key] = {**full[key], **value} if isinstance(full.get(key), dict) else value
    return InboxDefinition(name=name, settings=full, channels=list(channels))


def live(definition: InboxDefinition, *, managed: bool = True, protect: bool = False) -> LiveInbox:
    return LiveInbox(definition=copy.deepcopy(definition), managed=managed, protect=protect)


def summary(changes: list[ResourceChange]) -> list[tuple[str, str, str]]:
    return [(change.action, change.kind, change.address) for change in changes]


def fields_of(change: ResourceChange) -> dict[str, tuple[Any, Any]]:
    return {field.path: (field.before, field.after) for field in change.fields}


# -- create / update / delete -----------------------------------------------------------------------

def test_matching_definitions_plan_nothing() -> None:
    desired = inbox("Support", channel("email", "support@acme.example", provider="gmail"),
                    members=["alice@acme.example"], routing={"mode": "unassigned"})
    assert plan_changes([desired], [live(desired)]) == ([], [])


def test_a_new_inbox_is_created_before_its_channels_with_every_setting_shown() -> None:
    desired = inbox("Sales", channel("email", "sales@acme.example"), channel("form", "Request a demo"),
                    members=["grace@acme.example"], teams=["Sales EMEA"])

    changes, notes = plan_changes([desired], [])

    assert notes == []
    assert summary(changes) == [(CREATE, INBOX, 'inbox "Sales"'),
                                (CREATE, CHANNEL, 'inbox "Sales" / email "sales@acme.example"'),
                                (CREATE, CHANNEL, 'inbox "Sales" / form "Request a demo"')]
    created = fields_of(changes[0])
    assert created["members"] == (None, ["grace@acme.example"])
    assert created["teams"] == (None, ["Sales EMEA"])
    assert created["routing.mode"] == (None, "unassigned")
    assert all(before is None for before, _ in created.values())
    assert changes[0].desired == desired.settings
    assert fields_of(changes[2])["create_tickets"] == (None, True)


def test_an_update_lists_only_the_changed_fields_with_before_and_after() -> None:
    before = inbox("Support", channel("chat", "Website chat", color="#FF7A59"),
                   routing={"mode": "unassigned"}, members=["alice@acme.example"])
    after = inbox("Support", channel("chat", "Website chat", color="#00A4BD"),
                  routing={"mode": "contact_owner", "fallback": {"users": [], "teams": ["Tier 1"]}},
                  members=["alice@acme.example"])

    changes, _ = plan_changes([after], [live(before)])

    assert summary(changes) == [(UPDATE, INBOX, 'inbox "Support"'),
                                (UPDATE, CHANNEL, 'inbox "Support" / chat "Website chat"')]
    assert changes[0].fields == [FieldChange("routing.fallback.teams", None, ["Tier 1"]),
                                 FieldChange("routing.fallback.users", None, []),
                                 FieldChange("routing.mode", "unassigned", "contact_owner")]
    assert changes[1].fields == [FieldChange("color", "#FF7A59", "#00A4BD")]
    assert changes[1].desired == after.channels[0].settings  # the whole channel, not only what changed


def test_business_hours_added_and_removed_show_each_setting() -> None:
    hours = {"timezone": "Europe/Paris", "hours": [{"days": ["mon"], "open": "09:00", "close": "17:00"}]}
    with_hours, without = inbox("A", business_hours=hours), inbox("A")

    added, _ = plan_changes([with_hours], [live(without)])
    removed, _ = plan_changes([without], [live(with_hours)])

    assert fields_of(added[0]) == {"business_hours.timezone": (None, "Europe/Paris"),
                                   "business_hours.hours": (None, hours["hours"])}
    assert fields_of(removed[0]) == {"business_hours.timezone": ("Europe/Paris", None),
                                     "business_hours.hours": (hours["hours"], None)}


def test_a_removed_channel_is_deleted_showing_what_goes() -> None:
    before = inbox("Support", channel("messenger", "Acme Corp", greeting="Hi"), channel("form", "Contact us"))
    after = inbox("Support", channel("form", "Contact us"))

    changes, _ = plan_changes([after], [live(before)])

    assert summary(changes) == [(DELETE, CHANNEL, 'inbox "Support" / messenger "Acme Corp"')]
    assert fields_of(changes[0]) == {"page": ("Acme Corp", None), "greeting": ("Hi", None)}
    assert changes[0].desired is None


def test_channels_and_inboxes_are_matched_by_name_whatever_the_case() -> None:
    desired = inbox("support", channel("form", "Contact us"))
    current = inbox("Support", channel("form", "Contact us"))
    assert plan_changes([desired], [live(current)]) == ([], [])


def test_changes_come_in_dependency_order() -> None:
    # help@ moves from Old to New (F10: it must leave Old first); Old's chat changes; Gone is pruned.
    old_before = inbox("Old", channel("email", "help@acme.example"), channel("chat", "Chat", color="#111111"))
    old_after = inbox("Old", channel("chat", "Chat", color="#222222"), members=["bob@acme.example"])
    new = inbox("New", channel("email", "help@acme.example"))
    gone = inbox("Gone", channel("form", "Contact us"))

    changes, _ = plan_changes([old_after, new], [live(old_before), live(gone)], prune=True)

    assert summary(changes) == [
        (DELETE, CHANNEL, 'inbox "Old" / email "help@acme.example"'),  # channel deletes first: frees the address
        (UPDATE, INBOX, 'inbox "Old"'),
        (CREATE, INBOX, 'inbox "New"'),                                 # inboxes before the channels in them
        (UPDATE, CHANNEL, 'inbox "Old" / chat "Chat"'),
        (CREATE, CHANNEL, 'inbox "New" / email "help@acme.example"'),
        (DELETE, INBOX, 'inbox "Gone"'),                                # inbox deletes last
    ]


# -- sets and normal forms ----------------------------------------------------------------------------

def test_sets_are_compared_as_sets() -> None:
    heading = {"mode": "users_and_teams", "users": ["a@x.example", "b@x.example"], "teams": []}
    desired = inbox("A", channel("chat", "C", heading=heading),
                    members=["alice@acme.example", "carol@acme.example"], teams=["Tier 1", "Tier 2"],
                    routing={"mode": "users_and_teams", "users": ["bob@acme.example", "dave@acme.example"]},
                    email_filters={"blocked_senders": ["@a.example", "@b.example"]})
    server_order = inbox("A", channel("chat", "C", heading={"mode": "users_and_teams",
                                                             "users": ["b@x.example", "a@x.example"], "teams": []}),
                         members=["carol@acme.example", "alice@acme.example"], teams=["Tier 2", "Tier 1"],
                         routing={"mode": "users_and_teams", "users": ["dave@acme.example", "bob@acme.example"]},
                         email_filters={"blocked_senders": ["@b.example", "@a.example"]})

    assert plan_changes([desired], [live(server_order)]) == ([], [])


def test_a_set_that_really_changed_shows_both_sides() -> None:
    changes, _ = plan_changes([inbox("A", members=["alice@acme.example", "bob@acme.example"])],
                              [live(inbox("A", members=["alice@acme.example"]))])
    assert fields_of(changes[0]) == {"members": (["alice@acme.example"], ["alice@acme.example", "bob@acme.example"])}


def test_hours_in_another_order_are_a_change_only_if_they_differ() -> None:
    morning = {"days": ["mon", "tue"], "open": "09:00", "close": "12:00"}
    afternoon = {"days": ["mon", "tue"], "open": "13:00", "close": "17:00"}
    desired = inbox("A", business_hours={"timezone": "UTC", "hours": [morning, afternoon]})
    same = inbox("A", business_hours={"timezone": "UTC", "hours": [morning, afternoon]})
    later = inbox("A", business_hours={"timezone": "UTC", "hours": [morning, {**afternoon, "close": "18:00"}]})
    assert plan_changes([desired], [live(same)]) == ([], [])
    changes, _ = plan_changes([desired], [live(later)])
    assert list(fields_of(changes[0])) == ["business_hours.hours"]


# -- adopting inboxes made by hand ------------------------------------------------------------------

def test_an_unmanaged_inbox_that_already_matches_is_left_alone() -> None:
    desired = inbox("Support", channel("email", "support@acme.example"))
    assert plan_changes([desired], [live(desired, managed=False)]) == ([], [])


def test_an_unmanaged_inbox_that_changes_is_adopted() -> None:
    desired = inbox("Support", members=["alice@acme.example"])
    changes, _ = plan_changes([desired], [live(inbox("Support"), managed=False)])
    assert summary(changes) == [(UPDATE, INBOX, 'inbox "Support"')]
    assert changes[0].adopt is True


def test_a_managed_inbox_that_changes_is_not_adopted_again() -> None:
    changes, _ = plan_changes([inbox("Support", members=["alice@acme.example"])], [live(inbox("Support"))])
    assert changes[0].adopt is False


def test_an_unmanaged_inbox_whose_channels_change_is_adopted() -> None:
    # inboxctl now writes to it: from then on it manages it (and --prune may delete it one day)
    desired = inbox("Sales", channel("email", "sales@acme.example", provider="gmail"))
    by_hand = inbox("Sales", channel("email", "sales@acme.example"))

    changes, _ = plan_changes([desired], [live(by_hand, managed=False)])

    assert summary(changes) == [(UPDATE, INBOX, 'inbox "Sales"'),
                                (UPDATE, CHANNEL, 'inbox "Sales" / email "sales@acme.example"')]
    assert changes[0].adopt is True and changes[0].fields == []
    assert changes[0].desired == desired.settings


# -- pruning --------------------------------------------------------------------------------------------

def test_without_prune_a_managed_inbox_with_no_definition_is_only_noted() -> None:
    changes, notes = plan_changes([], [live(inbox("Old"))])
    assert changes == []
    assert notes == ["inbox 'Old' is managed by inboxctl but has no definition: --prune would delete it"]


def test_prune_deletes_a_managed_inbox_with_no_definition_showing_what_goes() -> None:
    changes, notes = plan_changes([], [live(inbox("Old", members=["bob@acme.example"]))], prune=True)
    assert notes == []
    assert summary(changes) == [(DELETE, INBOX, 'inbox "Old"')]
    assert fields_of(changes[0])["members"] == (["bob@acme.example"], None)


def test_prune_never_deletes_a_protected_inbox() -> None:
    changes, notes = plan_changes([], [live(inbox("Vault", protect=True), protect=True)], prune=True)
    assert changes == []
    assert notes == ["inbox 'Vault' has no definition but is protected (protect = true): kept"]


def test_prune_never_touches_an_inbox_inboxctl_does_not_manage() -> None:
    assert plan_changes([], [live(inbox("Made by hand"), managed=False)], prune=True) == ([], [])


def test_an_inbox_with_a_definition_is_never_pruned() -> None:
    desired = inbox("Kept")
    assert plan_changes([desired], [live(desired)], prune=True) == ([], [])


# -- purity and the saved-plan fingerprint -------------------------------------------------------------

def test_planning_changes_neither_its_inputs_nor_depends_on_live_order() -> None:
    desired = [inbox("A", channel("form", "Contact us"), members=["alice@acme.example"]), inbox("B")]
    current = [live(inbox("C")), live(inbox("A", channel("chat", "Old chat")))]
    snapshot = copy.deepcopy((desired, current))

    first = plan_changes(desired, current, prune=True)
    second = plan_changes(desired, list(reversed(current)), prune=True)

    assert (desired, current) == snapshot
    assert summary(first[0]) == summary(second[0])


def test_the_fingerprint_changes_with_the_live_configuration_only() -> None:
    a, b = live(inbox("A", channel("form", "Contact us"))), live(inbox("B"))
    assert fingerprint([a, b]) == fingerprint([b, a])
    changed = live(inbox("A", channel("form", "Contact us", create_tickets=False)))
    assert fingerprint([changed, b]) != fingerprint([a, b])
    assert fingerprint([live(inbox("A", channel("form", "Contact us")), managed=False), b]) != fingerprint([a, b])
