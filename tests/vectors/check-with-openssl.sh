#!/usr/bin/env bash
# check-with-openssl.sh - independent cross-check of tests/vectors with the openssl CLI.
#
# For every <provider>/NNN-name.req it parses the metadata, headers and raw body, runs a
# small reference verifier written in shell (HMAC via `openssl dgst`), and compares the verdict
# with NNN-name.expect. For every case that expects "ok" it also prints the recomputed
# signature. Any disagreement is reported loudly and makes the script exit 1.
#
# Usage: tests/vectors/check-with-openssl.sh [vector-dir]    (default: the script's directory)
# Needs: bash >= 4, openssl, GNU date, od, tail, jq (mailgun).
set -u
export LC_ALL=C

DIR=${1:-$(cd "$(dirname "$0")" && pwd)}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0 total=0 okcount=0

# --- crypto helpers ---------------------------------------------------------------------
# mac_hex ALG SECRET FILE / mac_b64 ALG SECRET FILE: HMAC of the bytes in FILE.
mac_hex() { openssl dgst "-$1" -hmac "$2" -r < "$3" | cut -d' ' -f1; }
mac_b64() { openssl dgst "-$1" -hmac "$2" -binary < "$3" | openssl base64 -A; }
digest_len() { case $1 in sha1) echo 20;; sha256) echo 32;; sha384) echo 48;; sha512) echo 64;; *) echo 0;; esac; }
is_hex()  { [[ $1 =~ ^[0-9a-f]+$ ]] && (( ${#1} == 2 * $2 )); }          # lowercase, exact size
is_b64()  { local n=$(( ($2 + 2) / 3 * 4 )); [[ $1 =~ ^[A-Za-z0-9+/]+={0,2}$ ]] && (( ${#1} == n )); }
# message file = optional prefix text + body
msg() { { printf '%s' "$1"; cat "$TMP/body"; } > "$TMP/msg"; }

# --- parser -----------------------------------------------------------------------------
parse() {
  local f=$1 line off=0 inhdr=0 name
  SECRETS=(); PUBKEYS=(); URI=/; HTTPS=""; NOW=""; TOL=300; declare -gA OPT=() HDR=()
  while IFS= read -r line; do
    off=$(( off + ${#line} + 1 ))
    if (( ! inhdr )) && [[ $line == "# "* ]]; then
      line=${line#"# "}
      case $line in
        "secret: "*)    SECRETS+=("${line#"secret: "}") ;;
        "public_key: "*) PUBKEYS+=("${line#"public_key: "}") ;;
        "uri: "*)       URI=${line#"uri: "} ;;
        "https: "*)     HTTPS=${line#"https: "} ;;
        "now: "*)       NOW=${line#"now: "} ;;
        "tolerance: "*) TOL=${line#"tolerance: "} ;;
        "option: "*)    line=${line#"option: "}; OPT[${line%%=*}]=${line#*=} ;;
      esac
      continue
    fi
    inhdr=1
    [[ -z $line ]] && break
    name=${line%%: *}
    HDR[${name,,}]=${line#*: }
  done < "$f"
  tail -c +$(( off + 1 )) "$f" > "$TMP/body"
}
has() { [[ -v HDR[${1,,}] ]]; }
get() { printf '%s' "${HDR[${1,,}]}"; }

# window TS_EPOCH -> prints stale_timestamp / future_timestamp / nothing
window() {
  (( TOL == 0 )) && return 0
  if (( NOW - $1 > TOL )); then echo stale_timestamp
  elif (( $1 - NOW > TOL )); then echo future_timestamp; fi
}

# Each verifier prints a verdict; on "ok" it sets COMPUTED to the matching recomputed value.
COMPUTED=""

verify_github() {
  local s want
  if has X-Hub-Signature-256; then
    s=$(get X-Hub-Signature-256)
    [[ $s == sha256=* ]] && is_hex "${s#sha256=}" 32 || { echo malformed_signature; return; }
    cp "$TMP/body" "$TMP/msg"
    for k in "${SECRETS[@]}"; do
      want=$(mac_hex sha256 "$k" "$TMP/msg")
      [[ ${s#sha256=} == "$want" ]] && { COMPUTED="sha256=$want"; echo ok; return; }
    done
    echo mismatch; return
  fi
  if has X-Hub-Signature && [[ ${OPT[allow_sha1]:-no} == yes ]]; then
    s=$(get X-Hub-Signature)
    [[ $s == sha1=* ]] && is_hex "${s#sha1=}" 20 || { echo malformed_signature; return; }
    cp "$TMP/body" "$TMP/msg"
    for k in "${SECRETS[@]}"; do
      want=$(mac_hex sha1 "$k" "$TMP/msg")
      [[ ${s#sha1=} == "$want" ]] && { COMPUTED="sha1=$want"; echo ok; return; }
    done
    echo mismatch; return
  fi
  echo missing_signature
}

verify_stripe() {
  has Stripe-Signature || { echo missing_signature; return; }
  local h t="" item key val w want v1=() good=()
  h=$(get Stripe-Signature)
  IFS=',' read -ra items <<< "$h"
  for item in "${items[@]}"; do
    [[ $item == *=* ]] || continue
    key=${item%%=*}; val=${item#*=}
    case $key in
      t)  [[ -z $t ]] && t=$val ;;
      v1) v1+=("$val") ;;
    esac                                  # every other scheme (v0, ...) is ignored
  done
  [[ -n $t && ${#v1[@]} -gt 0 ]] || { echo malformed_signature; return; }
  [[ $t =~ ^[0-9]+$ ]] || { echo malformed_timestamp; return; }
  for val in "${v1[@]}"; do is_hex "$val" 32 && good+=("$val"); done
  (( ${#good[@]} )) || { echo malformed_signature; return; }
  w=$(window "$t"); [[ -n $w ]] && { echo "$w"; return; }
  msg "$t."
  for k in "${SECRETS[@]}"; do
    want=$(mac_hex sha256 "$k" "$TMP/msg")
    for val in "${good[@]}"; do
      [[ $val == "$want" ]] && { COMPUTED="v1=$want"; echo ok; return; }
    done
  done
  echo mismatch
}

verify_slack() {
  has X-Slack-Signature || { echo missing_signature; return; }
  has X-Slack-Request-Timestamp || { echo missing_timestamp; return; }
  local s ts w want
  s=$(get X-Slack-Signature); ts=$(get X-Slack-Request-Timestamp)
  [[ $ts =~ ^[0-9]+$ ]] || { echo malformed_timestamp; return; }
  [[ $s == v0=* ]] && is_hex "${s#v0=}" 32 || { echo malformed_signature; return; }
  w=$(window "$ts"); [[ -n $w ]] && { echo "$w"; return; }
  msg "v0:$ts:"
  for k in "${SECRETS[@]}"; do
    want=$(mac_hex sha256 "$k" "$TMP/msg")
    [[ ${s#v0=} == "$want" ]] && { COMPUTED="v0=$want"; echo ok; return; }
  done
  echo mismatch
}

verify_zendesk() {
  has X-Zendesk-Webhook-Signature || { echo missing_signature; return; }
  has X-Zendesk-Webhook-Signature-Timestamp || { echo missing_timestamp; return; }
  local s ts ep w want
  s=$(get X-Zendesk-Webhook-Signature); ts=$(get X-Zendesk-Webhook-Signature-Timestamp)
  [[ $ts =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] &&
    ep=$(date -u -d "$ts" +%s 2>/dev/null) || { echo malformed_timestamp; return; }
  is_b64 "$s" 32 || { echo malformed_signature; return; }
  w=$(window "$ep"); [[ -n $w ]] && { echo "$w"; return; }
  msg "$ts"                               # timestamp text + body, no separator
  for k in "${SECRETS[@]}"; do
    want=$(mac_b64 sha256 "$k" "$TMP/msg")
    [[ $s == "$want" ]] && { COMPUTED=$want; echo ok; return; }
  done
  echo mismatch
}

verify_iot() {
  local sh=${OPT[signature_header]:-X-Signature} alg=${OPT[algorithm]:-sha256}
  local enc=${OPT[encoding]:-hex} pre=${OPT[signature_prefix]:-} signed=${OPT[signed]:-body}
  local sep=${OPT[signed_separator]:-.} th=${OPT[timestamp_header]:-} s ts="" w want n
  n=$(digest_len "$alg")
  has "$sh" || { echo missing_signature; return; }
  if [[ $signed == "timestamp+body" ]]; then
    has "$th" || { echo missing_timestamp; return; }
    ts=$(get "$th")
    [[ $ts =~ ^[0-9]+$ ]] || { echo malformed_timestamp; return; }
  fi
  s=$(get "$sh")
  [[ $s == "$pre"* ]] || { echo malformed_signature; return; }
  s=${s#"$pre"}
  case $enc in
    hex)    is_hex "$s" "$n" || { echo malformed_signature; return; } ;;
    base64) is_b64 "$s" "$n" || { echo malformed_signature; return; } ;;
    *)      echo malformed_signature; return ;;
  esac
  if [[ $signed == "timestamp+body" ]]; then
    w=$(window "$ts"); [[ -n $w ]] && { echo "$w"; return; }
    msg "$ts$sep"
  else
    msg ""
  fi
  for k in "${SECRETS[@]}"; do
    if [[ $enc == hex ]]; then want=$(mac_hex "$alg" "$k" "$TMP/msg"); else want=$(mac_b64 "$alg" "$k" "$TMP/msg"); fi
    [[ $s == "$want" ]] && { COMPUTED="$pre$want"; echo ok; return; }
  done
  echo mismatch
}

# plain_hex HEADER PREFIX: hex HMAC-SHA256 of the body alone (Meta, Dropbox).
plain_hex() {
  has "$1" || { echo missing_signature; return; }
  local s want
  s=$(get "$1")
  [[ $s == "$2"* ]] && is_hex "${s#"$2"}" 32 || { echo malformed_signature; return; }
  msg ""
  for k in "${SECRETS[@]}"; do
    want=$(mac_hex sha256 "$k" "$TMP/msg")
    [[ ${s#"$2"} == "$want" ]] && { COMPUTED="$2$want"; echo ok; return; }
  done
  echo mismatch
}
verify_meta() { plain_hex X-Hub-Signature-256 sha256=; }
verify_dropbox() { plain_hex X-Dropbox-Signature ""; }
# --- public-key schemes (discord: Ed25519 hex, sendgrid: ECDSA P-256 base64 DER) --------
# pk_pem KEYTEXT: the key as a PEM file $TMP/key.pem (64 hex: raw Ed25519; PEM; base64 DER).
pk_pem() {
  local k=$1
  if [[ $k =~ ^[0-9a-fA-F]{64}$ ]]; then
    { printf '302a300506032b6570032100'; printf '%s' "$k"; } | xxd -r -p > "$TMP/key.der"
  else
    k=${k#"-----BEGIN PUBLIC KEY-----"}; k=${k%"-----END PUBLIC KEY-----"}
    printf '%s' "$k" | tr -d ' ' | base64 -d > "$TMP/key.der" 2>/dev/null || return 1
  fi
  openssl pkey -pubin -inform DER -in "$TMP/key.der" -out "$TMP/key.pem" 2>/dev/null
}

# verify_pk HDR TSHDR ENC: Discord/SendGrid: signature over timestamp + body.
verify_pk() {
  local s ts w k
  has "$1" || { echo missing_signature; return; }
  s=$(get "$1")
  if [[ $3 == hex ]]; then
    is_hex "$s" 64 || { echo malformed_signature; return; }
    printf '%s' "$s" | xxd -r -p > "$TMP/sig"
  else
    [[ $s =~ ^[A-Za-z0-9+/]+={0,2}$ ]] && printf '%s' "$s" | base64 -d > "$TMP/sig" 2>/dev/null &&
      (( $(stat -c %s "$TMP/sig") <= 72 )) || { echo malformed_signature; return; }
  fi
  has "$2" || { echo missing_timestamp; return; }
  ts=$(get "$2")
  [[ $ts =~ ^[0-9]+$ ]] || { echo malformed_timestamp; return; }
  w=$(window "$ts"); [[ -n $w ]] && { echo "$w"; return; }
  msg "$ts"
  for k in "${PUBKEYS[@]}"; do
    pk_pem "$k" || continue
    if [[ $3 == hex ]]; then
      openssl pkeyutl -verify -pubin -inkey "$TMP/key.pem" -rawin -in "$TMP/msg" \
        -sigfile "$TMP/sig" >/dev/null 2>&1 || continue
    else
      openssl dgst -sha256 -verify "$TMP/key.pem" -signature "$TMP/sig" "$TMP/msg" \
        >/dev/null 2>&1 || continue
    fi
    COMPUTED="verified with $k"; echo ok; return
  done
  echo mismatch
}
verify_discord()  { verify_pk X-Signature-Ed25519 X-Signature-Timestamp hex; }
verify_sendgrid() { verify_pk X-Twilio-Email-Event-Webhook-Signature X-Twilio-Email-Event-Webhook-Timestamp base64; }

verify_zoom() {
  has x-zm-signature || { echo missing_signature; return; }
  has x-zm-request-timestamp || { echo missing_timestamp; return; }
  local s ts w want
  s=$(get x-zm-signature); ts=$(get x-zm-request-timestamp)
  [[ $ts =~ ^[0-9]{1,12}$ ]] && (( ts <= 253402300799 )) || { echo malformed_timestamp; return; }
  [[ $s == v0=* ]] && is_hex "${s#v0=}" 32 || { echo malformed_signature; return; }
  w=$(window "$ts"); [[ -n $w ]] && { echo "$w"; return; }
  msg "v0:$ts:"
  for k in "${SECRETS[@]}"; do
    want=$(mac_hex sha256 "$k" "$TMP/msg")
    [[ ${s#v0=} == "$want" ]] && { COMPUTED="v0=$want"; echo ok; return; }
  done
  echo mismatch
}

verify_twitch() {
  has Twitch-Eventsub-Message-Signature || { echo missing_signature; return; }
  has Twitch-Eventsub-Message-Timestamp || { echo missing_timestamp; return; }
  local s ts ep w want id
  s=$(get Twitch-Eventsub-Message-Signature); ts=$(get Twitch-Eventsub-Message-Timestamp)
  [[ $s == sha256=* ]] && is_hex "${s#sha256=}" 32 || { echo malformed_signature; return; }
  [[ $ts =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]] &&
    ep=$(date -u -d "${ts%%.*}${ts##*[0-9]}" +%s 2>/dev/null) || { echo malformed_timestamp; return; }
  has Twitch-Eventsub-Message-Id || { echo malformed_signature; return; }
  id=$(get Twitch-Eventsub-Message-Id)
  w=$(window "$ep"); [[ -n $w ]] && { echo "$w"; return; }
  msg "$id$ts"                            # message id + timestamp + body
  for k in "${SECRETS[@]}"; do
    want=$(mac_hex sha256 "$k" "$TMP/msg")
    [[ ${s#sha256=} == "$want" ]] && { COMPUTED="sha256=$want"; echo ok; return; }
  done
  echo mismatch
}

# Standard Webhooks: PREFIX ("webhook"|"svix") FORM ("whsec": base64, whsec_
# optional; "or_text": whsec_ + base64, else the text, as the openai SDK).
# Signed: id "." ts "." body; the header a space-separated list of "v1,<b64>".
verify_stdwh() {
  local P=$1 form=$2 s ts id w want k hexkey e good=()
  has "$P-signature" || { echo missing_signature; return; }
  has "$P-timestamp" || { echo missing_timestamp; return; }
  s=$(get "$P-signature"); ts=$(get "$P-timestamp")
  for e in $s; do
    [[ $e == v1,* ]] && is_b64 "${e#v1,}" 32 && good+=("${e#v1,}")
  done
  (( ${#good[@]} )) || { echo malformed_signature; return; }
  [[ $ts =~ ^[0-9]+$ ]] || { echo malformed_timestamp; return; }
  has "$P-id" || { echo malformed_signature; return; }
  id=$(get "$P-id")
  for k in "${SECRETS[@]}"; do
    if [[ $form == or_text && $k != whsec_* ]]; then
      hexkey=$(printf '%s' "$k" | od -An -tx1 | tr -d ' \n')
    else
      hexkey=$(printf '%s' "${k#whsec_}" | openssl base64 -d -A 2>/dev/null | od -An -tx1 | tr -d ' \n')
      [[ -n $hexkey ]] || { echo error; return; }
    fi
  done
  w=$(window "$ts"); [[ -n $w ]] && { echo "$w"; return; }
  msg "$id.$ts."
  for k in "${SECRETS[@]}"; do
    if [[ $form == or_text && $k != whsec_* ]]; then
      hexkey=$(printf '%s' "$k" | od -An -tx1 | tr -d ' \n')
    else
      hexkey=$(printf '%s' "${k#whsec_}" | openssl base64 -d -A | od -An -tx1 | tr -d ' \n')
    fi
    want=$(openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -binary < "$TMP/msg" | openssl base64 -A)
    for e in "${good[@]}"; do
      [[ $e == "$want" ]] && { COMPUTED="v1,$want"; echo ok; return; }
    done
  done
  echo mismatch
}

# --- signed URLs (square, trello, hubspot, twilio) -------------------------------------
# the_url: public_url (its query replaced by the request's), else http(s)://Host + uri.
the_url() {
  local q=""
  [[ $URI == *\?* ]] && q="?${URI#*\?}"
  if [[ -n ${OPT[public_url]:-} ]]; then
    local pu=${OPT[public_url]}
    [[ -z $q && $pu == *\?* ]] && q="?${pu#*\?}"
    printf '%s%s' "${pu%%\?*}" "$q"
  elif has Host; then
    [[ $HTTPS == on ]] && printf https:// || printf http://
    printf '%s%s' "$(get Host)" "$URI"
  else
    return 1
  fi
}

# url_mac HDR ALG BEFORE AFTER: base64 HMAC over BEFORE + body + AFTER.
url_mac() {
  local s want k n
  has "$1" || { echo missing_signature; return; }
  s=$(get "$1"); n=$(digest_len "$2")
  is_b64 "$s" "$n" || { echo malformed_signature; return; }
  for k in "${SECRETS[@]}"; do
    want=$({ printf '%s' "$3"; cat "$TMP/body"; printf '%s' "$4"; } |
      openssl mac -binary -digest "$2" -macopt key:"$k" HMAC | base64 -w0)
    [[ $s == "$want" ]] && { COMPUTED="$want"; echo ok; return; }
  done
  echo mismatch
}
verify_square() {
  local u; u=$(the_url) || { has X-Square-HmacSha256-Signature && echo malformed_signature || echo missing_signature; return; }
  url_mac X-Square-HmacSha256-Signature sha256 "$u" ""
}
verify_trello() { local u; u=$(the_url) || return; url_mac X-Trello-Webhook sha1 "" "$u"; }
verify_hubspot() {
  local u ts w
  u=$(the_url | sed -E 's/%3[Aa]/:/g; s/%2[Ff]/\//g; s/%3[Ff]/?/g; s/%40/@/g; s/%21/!/g; s/%24/$/g; s/%27/'"'"'/g; s/%28/(/g; s/%29/)/g; s/%2[Aa]/*/g; s/%2[Cc]/,/g; s/%3[Bb]/;/g')
  has X-HubSpot-Signature-v3 || { echo missing_signature; return; }
  has X-HubSpot-Request-Timestamp || { echo missing_timestamp; return; }
  ts=$(get X-HubSpot-Request-Timestamp)
  [[ $ts =~ ^[0-9]+$ ]] || { echo malformed_timestamp; return; }
  w=$(window $(( ts / 1000 ))); [[ -n $w ]] && { echo "$w"; return; }
  url_mac X-HubSpot-Signature-v3 sha256 "POST$u" "$ts"
}
# Twilio: URL (also without its port and with the default port) + sorted
# decoded form params, or for JSON the URL alone and its bodySHA256.
verify_twilio() {
  local u v s want k form=1 sum
  has X-Twilio-Signature || { echo missing_signature; return; }
  s=$(get X-Twilio-Signature)
  is_b64 "$s" 20 || { echo malformed_signature; return; }
  u=$(the_url)
  [[ $(get Content-Type) == application/x-www-form-urlencoded* ]] || form=0
  if [[ $u == *bodySHA256=* ]]; then
    form=0; sum=$(sha256sum < "$TMP/body" | cut -d' ' -f1)
    [[ $u == *"bodySHA256=$sum"* ]] || { echo mismatch; return; }
  fi
  for v in "$u" $(python3 -c 'import sys,re
u=sys.argv[1]; m=re.match(r"(https?)://([^/?#]+)(.*)",u)
s,a,r=m.groups(); h=re.sub(r":\d+$","",a) if not a.endswith("]") else a
print(s+"://"+h+r); print(u if h!=a else s+"://"+a+(":443" if s=="https" else ":80")+r)' "$u"); do
    for k in "${SECRETS[@]}"; do
      want=$({ printf '%s' "$v"
        (( form )) && python3 -c 'import sys,urllib.parse as p
q=p.parse_qsl(sys.stdin.read(),keep_blank_values=True)
sys.stdout.write("".join(k+v for k,v in sorted(set(q))))' < "$TMP/body"; } |
        openssl mac -binary -digest sha1 -macopt key:"$k" HMAC | base64 -w0)
      [[ $s == "$want" ]] && { COMPUTED="$want over $v"; echo ok; return; }
    done
  done
  echo mismatch
}
verify_standardwebhooks() { verify_stdwh webhook whsec; }
verify_svix() { verify_stdwh svix whsec; }
verify_clerk() { verify_stdwh svix whsec; }
verify_resend() { verify_stdwh svix whsec; }
verify_openai() { verify_stdwh webhook or_text; }

# --- the HMAC providers of issue 12 ------------------------------------------------------
# plain_mac HEADER PREFIX ALG ENC: one signature after a prefix, over the body alone.
plain_mac() {
  has "$1" || { echo missing_signature; return; }
  local s want n ok
  n=$(digest_len "$3"); s=$(get "$1")
  [[ $s == "$2"* ]] || { echo malformed_signature; return; }
  s=${s#"$2"}
  if [[ $4 == hex ]]; then is_hex "$s" "$n" && ok=1; else is_b64 "$s" "$n" && ok=1; fi
  [[ -n ${ok:-} ]] || { echo malformed_signature; return; }
  msg ""
  for k in "${SECRETS[@]}"; do
    if [[ $4 == hex ]]; then want=$(mac_hex "$3" "$k" "$TMP/msg"); else want=$(mac_b64 "$3" "$k" "$TMP/msg"); fi
    [[ $s == "$want" ]] && { COMPUTED="$2$want"; echo ok; return; }
  done
  echo mismatch
}
verify_shopify()   { plain_mac X-Shopify-Hmac-Sha256 "" sha256 base64; }
verify_bitbucket() { plain_mac X-Hub-Signature sha256= sha256 hex; }
verify_intercom()  { plain_mac X-Hub-Signature sha1= sha1 hex; }
verify_typeform()  { plain_mac Typeform-Signature sha256= sha256 base64; }

# GitLab: the token as sent, compared with each configured one.
verify_gitlab() {
  has X-Gitlab-Token || { echo missing_signature; return; }
  for k in "${SECRETS[@]}"; do
    [[ $(get X-Gitlab-Token) == "$k" ]] && { COMPUTED="token equal"; echo ok; return; }
  done
  echo mismatch
}

# items_mac HEADER ITEMSEP TSKEY SIGKEY SEP: key=value items; every SIGKEY is a hex
# HMAC-SHA256 over TS SEP body, or over the body alone when TSKEY is empty.
items_mac() {
  has "$1" || { echo missing_signature; return; }
  local item key val t="" sigs=() good=() w want items=()
  IFS=$2 read -ra items <<< "$(get "$1")"
  for item in "${items[@]}"; do
    item=${item#"${item%%[! ]*}"}; item=${item%"${item##*[! ]}"}
    [[ $item == *=* ]] || continue
    key=${item%%=*}; val=${item#*=}
    if [[ -n $3 && $key == "$3" ]]; then t=$val; elif [[ $key == "$4" ]]; then sigs+=("$val"); fi
  done
  [[ ( -z $3 || -n $t ) && ${#sigs[@]} -gt 0 ]] || { echo malformed_signature; return; }
  for val in "${sigs[@]}"; do is_hex "$val" 32 && good+=("$val"); done
  (( ${#good[@]} )) || { echo malformed_signature; return; }
  if [[ -n $3 ]]; then
    [[ $t =~ ^[0-9]+$ ]] || { echo malformed_timestamp; return; }
    w=$(window "$t"); [[ -n $w ]] && { echo "$w"; return; }
    msg "$t$5"
  else
    msg ""
  fi
  for k in "${SECRETS[@]}"; do
    want=$(mac_hex sha256 "$k" "$TMP/msg")
    for val in "${good[@]}"; do
      [[ $val == "$want" ]] && { COMPUTED="$4=$want"; echo ok; return; }
    done
  done
  echo mismatch
}
verify_pagerduty() { items_mac X-PagerDuty-Signature , "" v1 ""; }
verify_paddle()    { items_mac Paddle-Signature ';' ts h1 :; }
verify_mux()       { items_mac Mux-Signature , t v1 .; }
verify_calendly()  { items_mac Calendly-Webhook-Signature , t v1 .; }

# Linear: hex over the body; the time is the body's webhookTimestamp, in ms.
verify_linear() {
  has Linear-Signature || { echo missing_signature; return; }
  local s ms w want
  s=$(get Linear-Signature)
  is_hex "$s" 32 || { echo malformed_signature; return; }
  ms=$(jq -r '.webhookTimestamp // empty' "$TMP/body" 2>/dev/null)
  [[ -n $ms ]] || { echo missing_timestamp; return; }
  [[ $ms =~ ^[0-9]+$ ]] || { echo malformed_timestamp; return; }
  w=$(window $(( ms / 1000 ))); [[ -n $w ]] && { echo "$w"; return; }
  msg ""
  for k in "${SECRETS[@]}"; do
    want=$(mac_hex sha256 "$k" "$TMP/msg")
    [[ $s == "$want" ]] && { COMPUTED=$want; echo ok; return; }
  done
  echo mismatch
}

# Mailgun: the signature block is in the body (JSON via jq, or a form).
verify_mailgun() {
  local ct sig ts tok w want f
  ct=$(get Content-Type)
  if [[ $ct == application/x-www-form-urlencoded* ]]; then
    declare -A F=()
    IFS='&' read -r -a f < "$TMP/body"
    for kv in "${f[@]}"; do [[ -v F[${kv%%=*}] ]] || F[${kv%%=*}]=${kv#*=}; done
    sig=${F[signature]-@none}; ts=${F[timestamp]-@none}; tok=${F[token]-@none}
  elif jq -e . "$TMP/body" >/dev/null 2>&1; then
    sig=$(jq -r '.signature.signature // "@none"' "$TMP/body")
    ts=$(jq -r '.signature.timestamp // "@none"' "$TMP/body")
    tok=$(jq -r '.signature.token // "@none"' "$TMP/body")
  else
    echo malformed_signature; return
  fi
  [[ $sig == @none ]] && { echo missing_signature; return; }
  is_hex "$sig" 32 || { echo malformed_signature; return; }
  [[ $ts == @none ]] && { echo missing_timestamp; return; }
  [[ $ts =~ ^[0-9]+$ ]] || { echo malformed_timestamp; return; }
  [[ $tok == @none ]] && { echo malformed_signature; return; }
  w=$(window "$ts"); [[ -n $w ]] && { echo "$w"; return; }
  printf '%s%s' "$ts" "$tok" > "$TMP/msg"   # timestamp + token; the body is not covered
  for k in "${SECRETS[@]}"; do
    want=$(mac_hex sha256 "$k" "$TMP/msg")
    [[ $sig == "$want" ]] && { COMPUTED=$want; echo ok; return; }
  done
  echo mismatch
}

# --- main -------------------------------------------------------------------------------
for req in "$DIR"/*/*.req; do
  [[ -e $req ]] || continue
  prov=$(basename "$(dirname "$req")")
  case_=${req%.req}; rel=${case_#"$DIR"/}
  total=$(( total + 1 ))
  if [[ ! -f $case_.expect ]]; then echo "FAIL  $rel: no .expect file"; fail=1; continue; fi
  expect=$(head -n1 "$case_.expect")
  parse "$req"
  if [[ -z $NOW || ${#SECRETS[@]}${#PUBKEYS[@]} == 00 ]]; then echo "FAIL  $rel: missing '# now:' or '# secret:'"; fail=1; continue; fi
  if ! declare -F "verify_$prov" >/dev/null; then echo "FAIL  $rel: unknown provider '$prov'"; fail=1; continue; fi
  COMPUTED=""
  # run in the current shell (not a subshell) so COMPUTED survives
  "verify_$prov" > "$TMP/verdict"; got=$(cat "$TMP/verdict")
  if [[ $got != "$expect" ]]; then
    echo "FAIL  $rel: expected '$expect', reference verifier says '$got'"
    [[ $expect == ok ]] && echo "      !!! case expects ok but does NOT verify with openssl (wrong recorded signature, secret, clock or body bytes) !!!"
    fail=1
  elif [[ $expect == ok ]]; then
    okcount=$(( okcount + 1 ))
    echo "ok    $rel  (openssl recomputed: $COMPUTED)"
  else
    echo "ok    $rel  -> $got"
  fi
done

echo "----"
echo "$total cases, $okcount ok-vectors re-verified with openssl"
if (( fail )); then echo "FAILED"; exit 1; fi
(( total > 0 )) || { echo "FAILED: no vectors found in $DIR"; exit 1; }
echo "PASSED"
