{#- Personal data in free text (issue 11). Free text from the tools (web form ids and page URLs,
    HubSpot legal-basis explanations, Marketo attributes, Mailchimp sources, campaign names, raw
    rejected lines) can name a person. Every published column that carries such text goes through
    one of these macros, for every contact (not only erased ones):

    - mask_emails(expr): every email address, in any spelling a tool may use (any case, JSON
      escaped `carla\u0040example.com`, URL escaped `carla%40example.com`, HTML `&#64;`, escaped
      dots), becomes `[email redacted]`;
    - redact_free_text(expr): mask_emails, and a URL query string (`?email=...&name=...`), where
      tools put who submitted, becomes `?[query redacted]`;
    - mask_personal_data(expr): mask_emails, and every IP address becomes `[ip redacted]`;
    - first_email_key(expr): the contact_key (SHA-256 of the trimmed, lowercased address) of the
      first address the text names, whatever its spelling; null when it names none. -#}

{#- One address in any of its spellings: local part, an @ (plain or escaped), a dotted domain
    (dots plain or escaped). `'` is doubled for the SQL literal. The local part leaves out
    `/ ? = & # ;`, which real addresses hardly use and URLs and query strings always do, so
    `unsub?email=bob%40example.com` masks the address, not the URL around it. -#}
{% macro email_spelling_pattern() -%}
(?i)[a-z0-9!$%''*+^_`{|}~.-]+(?:@|\\u0040|%40|&#0*64;|&#x0*40;)[a-z0-9-]+(?:(?:\.|\\u002e|%2e)[a-z0-9-]+)+
{%- endmacro %}

{% macro mask_emails(expr) -%}
    {{ regexp_replace_all(expr, email_spelling_pattern(), '[email redacted]') }}
{%- endmacro %}

{#- IP addresses (v4 dotted quads; v6 with at least three colons, so clock times never match)
    are personal data too: `[ip redacted]`. -#}
{% macro mask_ip_addresses(expr) -%}
    {{ regexp_replace_all(regexp_replace_all(expr, '\\b(?:\\d{1,3}\\.){3}\\d{1,3}\\b', '[ip redacted]'), '(?i)(?:\\b[0-9a-f]{1,4}|):(?:[0-9a-f]{0,4}:){2,6}[0-9a-f]{0,4}\\b', '[ip redacted]') }}
{%- endmacro %}

{#- Raw text shown to people (audit.rejected_records): every address and IP address masked. -#}
{% macro mask_personal_data(expr) -%}
    {{ mask_ip_addresses(mask_emails(expr)) }}
{%- endmacro %}

{% macro redact_free_text(expr) -%}
    {{ mask_emails(regexp_replace_all(expr, '\\?\\S+', '?[query redacted]')) }}
{%- endmacro %}

{#- The escaped spellings of `@` and `.` written plainly, so every spelling has one key. -#}
{% macro unescape_email_spelling(expr) -%}
    case
        -- a plain spelling (no backslash, % or &) has nothing to unescape: no regex pass
        when strpos({{ expr }}, chr(92)) = 0 and strpos({{ expr }}, '%') = 0 and strpos({{ expr }}, '&') = 0
            then {{ expr }}
        else {{ regexp_replace_all(regexp_replace_all(expr, '(?i)\\\\u0040|%40|&#0*64;|&#x0*40;', '@'), '(?i)\\\\u002e|%2e', '.') }}
    end
{%- endmacro %}

{% macro first_email_key(expr) -%}
    {{ contact_key(unescape_email_spelling("nullif(regexp_extract(" ~ expr ~ ", '" ~ email_spelling_pattern() ~ "'), '')")) }}
{%- endmacro %}

{#- Replace every match (engines differ: DuckDB and Postgres take the 'g' flag). -#}
{% macro regexp_replace_all(expr, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'consent_ledger')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}

{#- Every address the text names, one row per spelling: a set-returning select expression
    (`select ..., named_email_spellings(expr) as spelling from ...`). Read by names_erased_contact
    and by the index of who each landed line names (int_landing_lines__mentions), so both find
    the same addresses. The default finds the first address only. -#}
{% macro named_email_spellings(expr) -%}
    {{ return(adapter.dispatch('named_email_spellings', 'consent_ledger')(expr)) }}
{%- endmacro %}

{% macro default__named_email_spellings(expr) -%}
    nullif(regexp_extract({{ expr }}, '{{ email_spelling_pattern() }}'), '')
{%- endmacro %}

{% macro duckdb__named_email_spellings(expr) -%}
    unnest(regexp_extract_all({{ expr }}, '{{ email_spelling_pattern() }}'))
{%- endmacro %}

{#- The string values of a JSON text, escapes decoded (`carla\u002esweep` becomes
    `carla.sweep`), one per line; null when the text is not JSON. A parsed column (a page URL, a
    form id) holds such a decoded value, so an address a line names only through a JSON escape the
    spelling pattern does not know is still found. The default decodes nothing. -#}
{% macro json_decoded_strings(expr) -%}
    {{ return(adapter.dispatch('json_decoded_strings', 'consent_ledger')(expr)) }}
{%- endmacro %}

{% macro default__json_decoded_strings(expr) -%}
    cast(null as {{ dbt.type_string() }})
{%- endmacro %}

{% macro duckdb__json_decoded_strings(expr) -%}
    case when json_valid({{ expr }}) then array_to_string(json_extract_string({{ expr }}, '$..*'), chr(10)) end
{%- endmacro %}

{#- True when the text names an erased contact: any address in it, in any spelling, whose
    contact_key is in `erased_relation` (a relation with a contact_key column). Used by the purge
    of the working store (macros/purge.sql) for a table whose rows are not landed lines, so a
    value that names the person only in a URL or as a second address counts too. -#}
{% macro names_erased_contact(expr, erased_relation) -%}
    exists (
        select 1
        from (select {{ named_email_spellings(expr) }} as spelling) as found
        where {{ contact_key(unescape_email_spelling('found.spelling')) }} in (select contact_key from {{ erased_relation }})
    )
{%- endmacro %}
