#!/bin/sh
# Regenerates the telephony prompts: raw 8 kHz mono G.711 µ-law, one file per prompt and
# language, each kept under ~4 s. Needs espeak-ng and sox (Debian: apt-get install -y espeak-ng sox).
# Run from anywhere: sh telephony/prompts/make.sh
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# make LANG VOICE NAME TEXT [SPEED]
make() {
    lang=$1 voice=$2 name=$3 text=$4 speed=${5:-165}
    espeak-ng -v "$voice" -s "$speed" -w "$tmp/$name.wav" "$text"
    # Leading/trailing silence trimmed; speech longer than 3.8 s is sped up (tempo keeps the
    # pitch) rather than cut; then 8 kHz mono, 3 dB headroom, µ-law raw.
    sox "$tmp/$name.wav" "$tmp/$name.trim.wav" silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse
    tempo=$(soxi -D "$tmp/$name.trim.wav" | awk '{ t = $1 / 3.8; if (t < 1) t = 1; printf "%.3f", t }')
    sox "$tmp/$name.trim.wav" -r 8000 -c 1 -t raw -e mu-law -b 8 "$lang/$name.ulaw" \
        tempo -s "$tempo" gain -n -3
    printf '%s/%s.ulaw %s bytes\n' "$lang" "$name" "$(wc -c < "$lang/$name.ulaw")"
}

mkdir -p en zh
make en en connecting "Connecting you, please wait."
make en en merchant_busy "The line is busy. Please try again later."
make en en merchant_no_answer "There is no answer. Please try again later."
make en en call_failed "The call could not be connected. Goodbye."
make en en credit_exhausted "Your credit has run out. Goodbye."

make zh cmn connecting "正在为您接通，请稍候。" 175
make zh cmn merchant_busy "对方正忙，请稍后再拨。" 175
make zh cmn merchant_no_answer "对方无人接听，请稍后再拨。" 175
make zh cmn call_failed "呼叫未能接通，再见。" 175
make zh cmn credit_exhausted "您的余额已用完，再见。" 175
