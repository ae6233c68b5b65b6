from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QAction, QImage, QPainter
from PySide6.QtWidgets import QAbstractItemView, QMenu, QStyle, QStyleOptionViewItem
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from app.core.chat.conversation import Conversation, Message
from app.core.chat.library import ChatLibrary
from app.core.chat.store import ConversationStore
from app.qt.viewmodels.conversation_list_model import ConversationListModel, Roles, day_group
from app.qt.widgets.sidebar import (
    HIT_CONVERSATION_ID,
    HIT_MESSAGE_ID,
    HIT_SNIPPET,
    UNDO_MS,
    ConversationSidebar,
    snippet_html,
)

pytestmark = [pytest.mark.qt]

NOW = datetime(2026, 3, 20, 15, 30)  # local time, as the model reads it


def chat(store: ConversationStore, title: str, *texts: str, at: datetime | None = None,
         model: str | None = None) -> int:
    """A saved conversation of `texts` (user and assistant in turn), last changed `at`."""
    conversation = Conversation(title=title, model=model)
    for number, text in enumerate(texts):
        last = conversation.last()
        store.add_message(conversation, Message("user" if number % 2 == 0 else "assistant",
                                                text, parent_id=last.id if last else None))
    assert conversation.id is not None
    if at is not None:
        store._db.execute("UPDATE conversations SET updated_at = ? WHERE id = ?",
                          (at.timestamp(), conversation.id))
    return conversation.id


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    store = ConversationStore(tmp_path / "chats.db")
    yield store
    store.close()


@pytest.fixture
def sidebar(qtbot: QtBot, store: ConversationStore) -> ConversationSidebar:
    widget = ConversationSidebar(ChatLibrary(store))
    qtbot.addWidget(widget)
    widget.resize(260, 500)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.fixture
def menus(monkeypatch: pytest.MonkeyPatch) -> list[QMenu]:
    """The context menus the sidebar pops up, recorded instead of shown: the offscreen platform
    warns that it cannot grab the keyboard for a popup."""
    shown: list[QMenu] = []
    monkeypatch.setattr(QMenu, "popup", lambda menu, *_: shown.append(menu))
    return shown


def open_menu(sidebar: ConversationSidebar, menus: list[QMenu], conversation_id: int) -> QMenu:
    view = sidebar.conversation_list
    row = sidebar.model.row_of(conversation_id)
    assert row is not None
    view.customContextMenuRequested.emit(view.visualRect(sidebar.model.index(row)).center())
    return menus[-1]


def action(menu: QMenu, text: str) -> QAction:
    return next(a for a in menu.actions() if a.text() == text)


def rows(model: ConversationListModel) -> list[str]:
    """The rows as text; headers as "# Today"."""
    out = []
    for row in range(model.rowCount()):
        index = model.index(row)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        out.append(f"# {text}" if index.data(Roles.IS_HEADER) else text)
    return out


def click_row(qtbot: QtBot, view: QAbstractItemView, row: int,
              button: Qt.MouseButton = Qt.MouseButton.LeftButton) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), button, pos=rect.center())


# -- the model -----------------------------------------------------------------------------


def test_chats_are_grouped_by_day_newest_first(store: ConversationStore) -> None:
    chat(store, "this afternoon", "a", at=datetime(2026, 3, 20, 14, 0))
    chat(store, "just after midnight", "a", at=datetime(2026, 3, 20, 0, 5))
    chat(store, "late last night", "a", at=datetime(2026, 3, 19, 23, 55))
    chat(store, "last week", "a", at=datetime(2026, 3, 14, 9, 0))
    chat(store, "this month", "a", at=datetime(2026, 3, 1, 9, 0))
    chat(store, "february", "a", at=datetime(2026, 2, 3, 9, 0))
    chat(store, "", "untitled", at=datetime(2025, 12, 25, 9, 0))
    chat(store, "christmas", "a", at=datetime(2025, 12, 24, 9, 0))
    model = ConversationListModel(now=lambda: NOW)
    model.set_conversations(store.list_conversations())
    assert rows(model) == [
        "# Today", "this afternoon", "just after midnight",
        "# Yesterday", "late last night",
        "# Previous 7 days", "last week",
        "# Previous 30 days", "this month",
        "# February 2026", "february",
        "# December 2025", "New chat", "christmas",
    ]


def test_chats_from_the_api_are_listed_apart_under_their_own_header(
        store: ConversationStore) -> None:
    chat(store, "mine today", "a", at=datetime(2026, 3, 20, 14, 0))
    api_today = chat(store, "api today", "a", at=datetime(2026, 3, 20, 15, 0))
    chat(store, "mine last week", "a", at=datetime(2026, 3, 14, 9, 0))
    api_old = chat(store, "api in february", "a", at=datetime(2026, 2, 3, 9, 0))
    store._db.execute("UPDATE conversations SET source = 'api' WHERE id IN (?, ?)",
                      (api_today, api_old))
    model = ConversationListModel(now=lambda: NOW)
    model.set_conversations(store.list_conversations())
    assert rows(model) == [
        "# Today", "mine today",
        "# Previous 7 days", "mine last week",
        "# API", "api today", "api in february",
    ]
    assert model.conversation_id(model.rowCount() - 1) == api_old


def test_day_groups_count_calendar_days_not_hours() -> None:
    assert day_group(datetime(2026, 3, 19, 23, 59).timestamp(), datetime(2026, 3, 20, 0, 1)) \
        == "Yesterday"
    assert day_group(datetime(2026, 3, 13).timestamp(), NOW) == "Previous 7 days"
    assert day_group(datetime(2026, 3, 12).timestamp(), NOW) == "Previous 30 days"
    assert day_group(datetime(2026, 2, 18).timestamp(), NOW) == "Previous 30 days"
    assert day_group(datetime(2026, 2, 17).timestamp(), NOW) == "February 2026"
    assert day_group(datetime(2026, 3, 21).timestamp(), NOW) == "Today"  # a clock moved back


def test_headers_are_plain_rows_and_chats_carry_their_data(store: ConversationStore) -> None:
    first = chat(store, "Sourdough", "starter?", at=datetime(2026, 3, 20, 9, 0), model="SmolLM2")
    model = ConversationListModel(now=lambda: NOW)
    model.set_conversations(store.list_conversations())
    header, row = model.index(0), model.index(1)
    assert header.data(Roles.IS_HEADER) is True
    assert not model.flags(header) & (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    assert header.data(Qt.ItemDataRole.FontRole).bold()
    assert row.data(Roles.IS_HEADER) is False
    assert model.flags(row) & Qt.ItemFlag.ItemIsEditable
    tooltip = row.data(Qt.ItemDataRole.ToolTipRole)
    assert "Sourdough" in tooltip and "SmolLM2" in tooltip and "Updated" in tooltip
    assert model.row_of(first) == 1 and model.row_of(999) is None
    assert model.conversation_id(0) is None and model.conversation_id(1) == first
    assert model.conversation_id(5) is None


def test_the_model_passes_qts_model_tester(qtmodeltester: ModelTester,
                                           store: ConversationStore) -> None:
    for day in (20, 19, 15, 2):
        chat(store, f"chat of the {day}th", "text", at=datetime(2026, 3, day, 10, 0))
    chat(store, "", "untitled", at=datetime(2025, 11, 2, 10, 0))
    model = ConversationListModel(now=lambda: NOW)
    model.set_conversations(store.list_conversations())
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)
    model.set_conversations(store.list_conversations()[1:])  # a reset, watched by the tester
    model.set_conversations([])


def test_editing_a_title_asks_for_the_rename_and_changes_nothing_itself(
        qtbot: QtBot, store: ConversationStore) -> None:
    first = chat(store, "old", "text", at=datetime(2026, 3, 20, 9, 0))
    model = ConversationListModel(now=lambda: NOW)
    model.set_conversations(store.list_conversations())
    with qtbot.waitSignal(model.renameRequested) as blocker:
        model.setData(model.index(1), " new ", Qt.ItemDataRole.EditRole)
    assert blocker.args == [first, " new "]
    assert model.index(1).data() == "old"
    with qtbot.assertNotEmitted(model.renameRequested):
        model.setData(model.index(0), "a header", Qt.ItemDataRole.EditRole)


# -- the sidebar ---------------------------------------------------------------------------


def test_clicking_a_chat_chooses_it_and_select_stays_quiet(
        qtbot: QtBot, store: ConversationStore) -> None:
    older = chat(store, "older", "text")
    newer = chat(store, "newer", "text")
    widget = ConversationSidebar(ChatLibrary(store))
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    model, view = widget.model, widget.conversation_list
    assert rows(model) == ["# Today", "newer", "older"]
    with qtbot.waitSignal(widget.conversationChosen) as blocker:
        click_row(qtbot, view, model.row_of(older) or 0)
    assert blocker.args == [older]
    assert widget.selected_id() == older
    with qtbot.assertNotEmitted(widget.conversationChosen):
        widget.select(newer)
        click_row(qtbot, view, 0)  # a header: nothing to choose
        click_row(qtbot, view, model.row_of(older) or 0, Qt.MouseButton.RightButton)
    assert widget.selected_id() == newer  # a right-click opens the menu, it does not choose
    with qtbot.assertNotEmitted(widget.conversationChosen):
        widget.select(None)
    assert widget.selected_id() is None
    with qtbot.waitSignal(widget.conversationChosen) as blocker:
        qtbot.keyClick(widget.search_box, Qt.Key.Key_Down)  # from the search box, by keys
    assert blocker.args == [newer]


def test_new_chat_button_asks_for_a_new_chat(qtbot: QtBot,
                                             sidebar: ConversationSidebar) -> None:
    assert "Ctrl+N" in sidebar.new_chat_button.toolTip()
    with qtbot.waitSignal(sidebar.newChatRequested):
        qtbot.mouseClick(sidebar.new_chat_button, Qt.MouseButton.LeftButton)


def test_refresh_keeps_the_selection(qtbot: QtBot, store: ConversationStore,
                                     sidebar: ConversationSidebar) -> None:
    first = chat(store, "first", "text")
    sidebar.refresh()
    sidebar.select(first)
    with qtbot.assertNotEmitted(sidebar.conversationChosen):
        chat(store, "second", "text")  # the window adds a chat, then refreshes
        sidebar.refresh()
    assert rows(sidebar.model) == ["# Today", "second", "first"]
    assert sidebar.selected_id() == first


def test_renaming_in_the_list_renames_in_the_store(qtbot: QtBot, store: ConversationStore,
                                                   sidebar: ConversationSidebar) -> None:
    first = chat(store, "old title", "text")
    sidebar.refresh()
    sidebar.select(first)
    index = sidebar.model.index(sidebar.model.row_of(first) or 0)
    with qtbot.waitSignal(sidebar.conversationRenamed) as blocker:
        sidebar.model.setData(index, "  New title ", Qt.ItemDataRole.EditRole)
    assert blocker.args == [first, "New title"]
    assert store.load(first).title == "New title"
    assert store.title_source(first) == "user"
    assert rows(sidebar.model) == ["# Today", "New title"]
    assert sidebar.selected_id() == first
    with qtbot.assertNotEmitted(sidebar.conversationRenamed):
        sidebar.model.setData(index, "   ", Qt.ItemDataRole.EditRole)  # blank: kept as it was
    assert store.load(first).title == "New title"


def test_rename_from_the_menu_opens_an_editor_that_renames(
        qtbot: QtBot, store: ConversationStore, sidebar: ConversationSidebar,
        menus: list[QMenu]) -> None:
    first = chat(store, "old title", "text")
    sidebar.refresh()
    view = sidebar.conversation_list
    menu = open_menu(sidebar, menus, first)
    assert [a.text() for a in menu.actions() if not a.isSeparator()] == \
        ["Rename", "Export…", "Delete"]
    action(menu, "Rename").trigger()
    assert view.state() == QAbstractItemView.State.EditingState
    editor = view.indexWidget(sidebar.model.index(sidebar.model.row_of(first) or 0))
    assert editor is not None
    qtbot.keyClick(editor, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(editor, "Typed title")
    with qtbot.waitSignal(sidebar.conversationRenamed):
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert store.load(first).title == "Typed title"
    assert view.state() != QAbstractItemView.State.EditingState


def test_export_from_the_menu_asks_the_window(qtbot: QtBot, store: ConversationStore,
                                              sidebar: ConversationSidebar,
                                              menus: list[QMenu]) -> None:
    first = chat(store, "a chat", "text")
    sidebar.refresh()
    menu = open_menu(sidebar, menus, first)
    with qtbot.waitSignal(sidebar.exportRequested) as blocker:
        action(menu, "Export…").trigger()
    assert blocker.args == [first]
    sidebar.conversation_list.customContextMenuRequested.emit(
        sidebar.conversation_list.visualRect(sidebar.model.index(0)).center())
    assert len(menus) == 1  # none on a header


def test_delete_key_deletes_and_undo_brings_the_chat_back(
        qtbot: QtBot, store: ConversationStore, sidebar: ConversationSidebar) -> None:
    keep = chat(store, "keep", "text")
    doomed = chat(store, "doomed", "text")
    sidebar.refresh()
    sidebar.select(doomed)
    assert sidebar.undo_bar.isHidden()
    with qtbot.waitSignal(sidebar.conversationDeleted) as blocker:
        qtbot.keyClick(sidebar.conversation_list, Qt.Key.Key_Delete)
    assert blocker.args == [doomed]
    assert sidebar.model.row_of(doomed) is None
    assert not store.exists(doomed)
    assert sidebar.undo_bar.isVisible()
    assert sidebar.undo_timer.isActive() and sidebar.undo_timer.interval() == UNDO_MS == 10_000
    with qtbot.waitSignal(sidebar.conversationChosen) as chosen:  # so the window shows it
        qtbot.mouseClick(sidebar.undo_button, Qt.MouseButton.LeftButton)
    assert chosen.args == [doomed]
    assert store.exists(doomed)
    assert rows(sidebar.model) == ["# Today", "doomed", "keep"]
    assert sidebar.selected_id() == doomed
    assert sidebar.undo_bar.isHidden() and not sidebar.undo_timer.isActive()
    assert keep in [s.id for s in store.list_conversations()]


def test_delete_from_the_menu_and_the_undo_bar_goes_after_a_while(
        qtbot: QtBot, store: ConversationStore, sidebar: ConversationSidebar,
        menus: list[QMenu]) -> None:
    first = chat(store, "first", "text")
    second = chat(store, "second", "text")
    sidebar.refresh()
    for conversation_id in (first, second):
        menu = open_menu(sidebar, menus, conversation_id)
        with qtbot.waitSignal(sidebar.conversationDeleted):
            action(menu, "Delete").trigger()
    assert sidebar.model.rowCount() == 0
    assert sidebar.undo_bar.isVisible()  # for the second delete; the first stays deleted
    sidebar.undo_timer.setInterval(1)  # instead of waiting ten seconds
    with qtbot.waitSignal(sidebar.undo_timer.timeout):
        pass
    assert sidebar.undo_bar.isHidden()
    sidebar.undo_delete()  # nothing left to undo
    assert sidebar.model.rowCount() == 0
    assert not store.exists(first) and not store.exists(second)


def test_typing_searches_after_a_pause_and_a_hit_can_be_chosen(
        qtbot: QtBot, store: ConversationStore, sidebar: ConversationSidebar) -> None:
    fox = chat(store, "Animals", "the quick brown fox", "foxes are canids")
    chat(store, "Cooking", "brown the onions slowly")
    sidebar.refresh()
    assert sidebar.pages.currentWidget() is sidebar.conversation_list
    with qtbot.waitSignal(sidebar.search_timer.timeout):
        qtbot.keyClicks(sidebar.search_box, "fox")
    results = sidebar.search_results
    assert sidebar.pages.currentWidget() is results and results.isVisible()
    assert not sidebar.conversation_list.isVisible()
    assert results.count() == 2  # "fox" is a prefix: "foxes" matches too
    first = results.item(0)
    assert first.data(HIT_CONVERSATION_ID) == fox
    assert "\x02fox" in first.data(HIT_SNIPPET)
    assert first.text().startswith("Animals\n")
    message_ids = {results.item(i).data(HIT_MESSAGE_ID) for i in range(results.count())}
    assert message_ids == {m.id for m in store.load(fox).path()}
    with qtbot.waitSignal(sidebar.searchResultChosen) as blocker:
        click_row(qtbot, results, 1)
    assert blocker.args == [fox, results.item(1).data(HIT_MESSAGE_ID)]
    with qtbot.waitSignal(sidebar.searchResultChosen) as blocker:
        results.setCurrentRow(0)
        qtbot.keyClick(results, Qt.Key.Key_Return)
    assert blocker.args == [fox, first.data(HIT_MESSAGE_ID)]


def test_enter_searches_at_once_and_escape_shows_the_list_again(
        qtbot: QtBot, store: ConversationStore, sidebar: ConversationSidebar) -> None:
    chat(store, "Cooking", "brown the onions slowly")
    sidebar.refresh()
    qtbot.keyClicks(sidebar.search_box, "onions")
    assert sidebar.search_timer.isActive()
    qtbot.keyClick(sidebar.search_box, Qt.Key.Key_Return)
    assert not sidebar.search_timer.isActive()
    assert sidebar.search_results.count() == 1
    qtbot.keyClick(sidebar.search_box, Qt.Key.Key_Escape)
    assert sidebar.search_box.text() == ""
    assert sidebar.pages.currentWidget() is sidebar.conversation_list
    assert sidebar.conversation_list.isVisible() and not sidebar.search_results.isVisible()


def test_no_match_says_so_and_clearing_shows_the_list(
        qtbot: QtBot, store: ConversationStore, sidebar: ConversationSidebar) -> None:
    chat(store, "Cooking", "brown the onions slowly")
    sidebar.refresh()
    sidebar.run_search("zebra")
    assert sidebar.pages.currentWidget() is sidebar.no_results
    assert sidebar.no_results.isVisible() and sidebar.no_results.text() == "No messages match"
    assert sidebar.search_box.text() == "zebra"
    sidebar.search_box.clear()
    assert sidebar.conversation_list.isVisible()
    assert not sidebar.no_results.isVisible() and not sidebar.search_results.isVisible()


def test_deleted_chats_are_not_found(qtbot: QtBot, store: ConversationStore,
                                     sidebar: ConversationSidebar) -> None:
    kept = chat(store, "kept", "onions and garlic")
    gone = chat(store, "gone", "onions and leeks")
    sidebar.refresh()
    sidebar.select(gone)
    qtbot.keyClick(sidebar.conversation_list, Qt.Key.Key_Delete)
    sidebar.run_search("onions")
    found = [sidebar.search_results.item(i).data(HIT_CONVERSATION_ID)
             for i in range(sidebar.search_results.count())]
    assert found == [kept]


def test_a_search_shown_follows_changes_made_elsewhere(
        qtbot: QtBot, store: ConversationStore, sidebar: ConversationSidebar) -> None:
    first = chat(store, "first", "onions and garlic")
    chat(store, "second", "onions and leeks")
    sidebar.refresh()
    sidebar.run_search("onions")
    assert sidebar.search_results.count() == 2
    store.delete(first)  # the window deleted it, and refreshes the sidebar
    sidebar.refresh()
    assert sidebar.search_results.count() == 1


def test_snippets_show_their_matches_in_bold() -> None:
    assert snippet_html("…a[0] <b> & \x02fox\x03\njumps \x02over\x03") == \
        "…a[0] &lt;b&gt; &amp; <b>fox</b> jumps <b>over</b>"


def test_the_sidebar_has_a_sensible_width(sidebar: ConversationSidebar) -> None:
    assert sidebar.objectName() == "sidebar"
    assert sidebar.minimumWidth() >= 180
    assert 220 <= sidebar.sizeHint().width() <= 300
    assert sidebar.search_box.placeholderText() == "Search chats"
    assert sidebar.search_box.isClearButtonEnabled()
    # Only Rename (the menu, or the window's F2) edits a title: no click or key in the list.
    edit = sidebar.conversation_list.editTriggers()
    assert edit == QAbstractItemView.EditTrigger.NoEditTriggers
    assert not sidebar.conversation_list.uniformItemSizes()
    assert sidebar.conversation_list.rootIndex() == QModelIndex()


# -- the row's icons under the pointer ------------------------------------------------------


def test_the_hovered_row_s_icons_rename_export_and_delete_without_opening_the_chat(
        qtbot: QtBot, store: ConversationStore, sidebar: ConversationSidebar) -> None:
    first = chat(store, "first", "text")
    second = chat(store, "second", "text")
    sidebar.refresh()
    view = sidebar.conversation_list
    chosen: list[int] = []
    sidebar.conversationChosen.connect(chosen.append)

    def icon_of(conversation_id: int, name: str) -> tuple[int, int]:
        row = sidebar.model.row_of(conversation_id)
        assert row is not None
        rects = dict(sidebar.delegate.action_rects(view.visualRect(sidebar.model.index(row))))
        center = rects[name].center()
        return center.x(), center.y()

    x, y = icon_of(first, "export")
    assert sidebar.row_action_at(QPoint(x, y)) == (first, "export")
    assert sidebar.row_action_label("export") == "Export…"
    with qtbot.waitSignal(sidebar.exportRequested) as exported:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert exported.args == [first]

    x, y = icon_of(second, "rename")
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert view.state() == QAbstractItemView.State.EditingState
    view.closePersistentEditor(view.currentIndex())
    view.setFocus()

    x, y = icon_of(first, "delete")
    with qtbot.waitSignal(sidebar.conversationDeleted) as deleted:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert deleted.args == [first] and sidebar.undo_bar.isVisible()
    assert "first" not in rows(sidebar.model)
    assert chosen == []  # the icons act on the row: none of them opened its chat

    # The rest of the row opens the chat as before; a header has no icons.
    row = sidebar.model.row_of(second)
    assert row is not None
    click_row(qtbot, view, row)
    assert chosen == [second]
    assert sidebar.row_action_at(view.visualRect(sidebar.model.index(0)).center()) is None


def test_the_hovered_row_paints_its_icons(qtbot: QtBot, store: ConversationStore,
                                         sidebar: ConversationSidebar) -> None:
    chat(store, "a chat with a title long enough to be elided before the icons", "text")
    sidebar.refresh()
    view = sidebar.conversation_list
    index = sidebar.model.index(1)
    rect = view.visualRect(index)

    def grab_row(hovered: bool) -> QImage:
        image = QImage(rect.size(), QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.white)
        painter = QPainter(image)
        painter.translate(-rect.topLeft())
        option = QStyleOptionViewItem()
        option.initFrom(view)
        option.rect = rect
        option.widget = view
        if hovered:
            option.state |= QStyle.StateFlag.State_MouseOver
        sidebar.delegate.paint(painter, option, index)
        painter.end()
        return image

    plain, hovered = grab_row(False), grab_row(True)
    icons = dict(sidebar.delegate.action_rects(rect))["delete"].translated(-rect.topLeft())
    assert plain.copy(icons) != hovered.copy(icons)
