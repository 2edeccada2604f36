def test_home_page_renders_in_the_products_own_look(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Care marketplace" in html
    assert "govuk-header__logotype" not in html  # no crown
    assert "Content-Security-Policy" in response.headers
