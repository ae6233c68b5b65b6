"""`lamplight` in the terminal speaks Chinese under a Chinese locale (issue 24): its help,
argparse's own words and its errors; English under C or en_US; the locale variables in
gettext's order; and the Language setting over all of them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration]
TIMEOUT_S = 120
_LOCALE = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_HAN = re.compile("[\u4e00-\u9fff]")


def lamplight(data_dir: Path, *args: str, **locale: str) -> subprocess.CompletedProcess[str]:
    """`lamplight ARGS` with only the locale variables given (LANG=..., LANGUAGE=...)."""
    env = {k: v for k, v in os.environ.items() if k not in (*_LOCALE, "LAMPLIGHT_DATA_DIR")}
    env.update(locale)
    env["PYTHONIOENCODING"] = "utf-8"  # the C locale's stdout must still carry Chinese
    return subprocess.run([sys.executable, "-m", "app", "--data-dir", str(data_dir), *args],
                          input="", capture_output=True, text=True, encoding="utf-8", env=env,
                          timeout=TIMEOUT_S, check=False)


def write_language(data_dir: Path, language: str) -> None:
    (data_dir / "config").mkdir(parents=True, exist_ok=True)
    (data_dir / "config" / "settings.json").write_text(
        json.dumps({"version": 1, "values": {"app.language": language}}), encoding="utf-8")


def is_chinese_help(text: str) -> bool:
    return text.startswith("用法：lamplight") and "显示此帮助信息并退出" in text \
        and "usage:" not in text and "show this help" not in text


def is_english_help(text: str) -> bool:
    return text.startswith("usage: lamplight") and "show this help message and exit" in text \
        and not _HAN.search(text)


def chinese_lines(text: str) -> list[str]:
    """The lines of `text` that are not Chinese: a word of three letters or more, outside
    what the help names (options, metavars, commands, file and model names)."""
    kept = re.compile(r"--?[\w-]+|\b[A-Z][A-Z|@_]+\b|'[^']*'|\S+\.\w+|https?://\S+|"
                      r"\b(?:lamplight|chat|models|summarize|chats|serve|remotes|list|export|"
                      r"import|search|rm|add|test|builtin|md|json|drop-oldest|stop|JSON|"
                      r"Markdown|OpenAI|API|Ctrl|Qwen3|GGUF|gguf|llama-server|vLLM|Ollama|"
                      r"Lamplight|thinking_tokens|thinking_s|stdin|stdout|stderr|Authorization|"
                      r"Bearer|KEY|docs|conversation-json|short|medium|detailed|bullets|prose|"
                      r"ID|URL|MODEL|CONNECTION|HOST|PORT|NAME|PATH|FILE|TEXT|Port)\b")
    return [line for line in text.splitlines()
            if re.search(r"[A-Za-z]{3,}", kept.sub(" ", line))]


def test_the_help_is_chinese_under_a_chinese_locale(tmp_path: Path) -> None:
    done = lamplight(tmp_path, "--help", LANG="zh_CN.UTF-8")
    assert done.returncode == 0, done.stderr
    assert is_chinese_help(done.stdout), done.stdout
    assert "位置参数" in done.stdout and "选项" in done.stdout
    assert "在终端里对话" in done.stdout  # `chat`'s help line
    assert not chinese_lines(done.stdout), chinese_lines(done.stdout)


@pytest.mark.parametrize("command", [
    ("chat",), ("summarize",), ("chats",), ("chats", "export"), ("serve",), ("remotes",),
    ("remotes", "add"), ("models",),
])
def test_every_command_helps_in_chinese(tmp_path: Path, command: tuple[str, ...]) -> None:
    done = lamplight(tmp_path, *command, "--help", LANG="zh_CN.UTF-8")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"用法：lamplight {' '.join(command)}"), done.stdout
    assert "显示此帮助信息并退出" in done.stdout


@pytest.mark.parametrize("locale", [{"LANG": "C"}, {"LANG": "C.UTF-8"},
                                    {"LANG": "en_US.UTF-8"}, {}])
def test_the_help_is_english_under_c_or_english(tmp_path: Path, locale: dict[str, str]) -> None:
    done = lamplight(tmp_path, "--help", **locale)
    assert done.returncode == 0, done.stderr
    assert is_english_help(done.stdout), done.stdout


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert done.stdout == ""
    return lines[0]


def test_a_missing_model_is_said_in_chinese(tmp_path: Path) -> None:
    line = one_error_line(lamplight(tmp_path, "chat", "--model", "/no/such.gguf", "你好",
                                    LANG="zh_CN.UTF-8"))
    assert line.startswith("lamplight：错误：")
    message = line.removeprefix("lamplight：错误：")
    assert "/no/such.gguf" in message
    assert len(_HAN.findall(message)) >= 4, line  # the sentence, not only the prefix


def test_argparse_errors_are_chinese(tmp_path: Path) -> None:
    wrong_choice = one_error_line(lamplight(tmp_path, "chat", "--overflow", "never", "hi",
                                            LANG="zh_CN.UTF-8"))
    assert wrong_choice.startswith("lamplight：错误：")
    assert "--overflow" in wrong_choice and "'never'" in wrong_choice
    assert "invalid choice" not in wrong_choice and _HAN.search(wrong_choice.split("：", 2)[2])
    missing = one_error_line(lamplight(tmp_path, "remotes", "add", LANG="zh_CN.UTF-8"))
    assert "the following arguments are required" not in missing
    assert "NAME" in missing and "lamplight remotes add --help" in missing
    out_of_range = one_error_line(lamplight(tmp_path, "chat", "--temperature", "9", "hi",
                                            LANG="zh_CN.UTF-8"))
    assert "must be" not in out_of_range and "9" in out_of_range
    english = one_error_line(lamplight(tmp_path, "chat", "--overflow", "never", "hi",
                                       LANG="C.UTF-8"))
    assert english.startswith("lamplight: error: argument --overflow: invalid choice: 'never'")


@pytest.mark.parametrize(("locale", "chinese"), [
    ({"LANGUAGE": "zh_CN", "LANG": "en_US.UTF-8"}, True),
    ({"LANGUAGE": "en", "LANG": "zh_CN.UTF-8"}, False),
    ({"LANGUAGE": "fr:zh_CN", "LANG": "C"}, True),   # its first language we have
    ({"LC_ALL": "C.UTF-8", "LANG": "zh_CN.UTF-8"}, False),
    ({"LC_ALL": "zh_CN.UTF-8", "LANG": "C"}, True),
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "C"}, True),
    ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, False),
    ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, False),
])
def test_the_locale_variables_in_gettext_order(tmp_path: Path, locale: dict[str, str],
                                               chinese: bool) -> None:
    done = lamplight(tmp_path, "--help", **locale)
    assert done.returncode == 0, done.stderr
    assert (is_chinese_help if chinese else is_english_help)(done.stdout), done.stdout


def test_the_language_setting_wins_over_the_environment(tmp_path: Path) -> None:
    write_language(tmp_path, "zh_CN")
    assert is_chinese_help(lamplight(tmp_path, "--help", LANG="C.UTF-8").stdout)
    assert is_chinese_help(lamplight(tmp_path, "--help", LANGUAGE="en",
                                     LANG="en_US.UTF-8").stdout)
    line = one_error_line(lamplight(tmp_path, "chat", "--model", "/no/such.gguf", "hi",
                                    LANG="en_US.UTF-8"))
    assert line.startswith("lamplight：错误：")

    write_language(tmp_path, "en")
    assert is_english_help(lamplight(tmp_path, "--help", LANG="zh_CN.UTF-8").stdout)
    assert is_english_help(lamplight(tmp_path, "--help", LANGUAGE="zh_CN").stdout)

    write_language(tmp_path, "system")  # the environment decides again
    assert is_chinese_help(lamplight(tmp_path, "--help", LANG="zh_CN.UTF-8").stdout)
    assert is_english_help(lamplight(tmp_path, "--help", LANG="C.UTF-8").stdout)


def test_the_setting_is_read_from_the_data_dir_the_command_line_names(tmp_path: Path) -> None:
    chosen, other = tmp_path / "chosen", tmp_path / "other"
    write_language(chosen, "zh_CN")
    # `--data-dir=DIR` after the command, overriding the one `lamplight` puts first.
    done = lamplight(other, "chats", "list", f"--data-dir={chosen}", "--help", LANG="C.UTF-8")
    assert done.stdout.startswith("用法：lamplight chats list"), done.stdout


def test_a_damaged_settings_file_leaves_the_environment_in_charge(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    settings = tmp_path / "config" / "settings.json"
    for content in ("{not json", '{"version": 1, "values": {"app.language": "klingon"}}',
                    '{"version": 99, "values": {"app.language": "en"}}'):
        settings.write_text(content, encoding="utf-8")
        assert is_chinese_help(lamplight(tmp_path, "--help", LANG="zh_CN.UTF-8").stdout)
        assert settings.read_text(encoding="utf-8") == content  # read, never moved aside
