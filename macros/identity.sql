{#- Principle 6: the key everywhere is the SHA-256 of the trimmed, lowercased email. -#}
{% macro normalize_email(expr) -%}
    nullif(lower(trim({{ expr }})), '')
{%- endmacro %}

{% macro is_valid_email(expr) -%}
    regexp_full_match({{ expr }}, '[^@\s]+@[^@\s]+\.[^@\s]+')
{%- endmacro %}

{% macro sha256_hex(expr) -%}
    {{ return(adapter.dispatch('sha256_hex', 'consent_ledger')(expr)) }}
{%- endmacro %}

{% macro default__sha256_hex(expr) -%}
    sha2({{ expr }}, 256)
{%- endmacro %}

{% macro duckdb__sha256_hex(expr) -%}
    sha256({{ expr }})
{%- endmacro %}

{% macro contact_key(email_expr) -%}
    {{ sha256_hex(normalize_email(email_expr)) }}
{%- endmacro %}

{#- Deterministic event id (design: hash of source, record id, instant, purpose, channel, action). -#}
{% macro event_id(source_system, source_record_id, occurred_at, purpose, channel, action) -%}
    {{ sha256_hex("concat_ws('|', " ~ source_system ~ ", coalesce(" ~ source_record_id ~ ", ''), coalesce(strftime(" ~ occurred_at ~ ", '%Y-%m-%dT%H:%M:%S.%f'), ''), coalesce(" ~ purpose ~ ", ''), coalesce(" ~ channel ~ ", ''), " ~ action ~ ")") }}
{%- endmacro %}
