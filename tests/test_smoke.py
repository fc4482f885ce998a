def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_loop_through_pages(client, factory, auth):
    pair = factory.pair()
    auth.login_as(pair.a)
    page = client.get("/today")
    assert page.status_code == 200, page.get_data(as_text=True)
    response = client.post(f"/prompts/{pair.first_prompt_id}/answer", data={"body": "I felt seen 🌱\nwhen you called"})
    assert response.status_code == 302, response.get_data(as_text=True)
    page = client.get(f"/prompts/{pair.first_prompt_id}")
    assert "I felt seen 🌱" in page.get_data(as_text=True)
