def test_target_settings_read_as_text_not_python() -> None:
    from conformance.report.html import setting_text

    assert setting_text(["json", "multipart"]) == "json, multipart"
    assert setting_text({"seconds": ["2"], "sizes": []}) == "seconds 2"
    assert setting_text({"job": 900.0, "request": 60.5}) == "job 900; request 60.5"
    assert setting_text(True) == "yes"
    assert setting_text({"seconds": [], "sizes": []}) == ""
    assert setting_text(None) == ""
