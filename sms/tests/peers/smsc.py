"""A small SMSC for the ringlink-sms tests, on PyPI smpp34's Server.

Accepts any bind, answers every submit_sm, and prints one JSON line per event on stdout:
  {"event": "ready", "port": P}
  {"event": "bind", "system_id": S}
  {"event": "submit", "message_id", "destination_addr", "source_addr", "data_coding",
   "esm_class", "registered_delivery", "short_message_hex", "udh_hex", "text"}
  ("text" is the body after any UDH, decoded here: UTF-16BE for data_coding 8, the GSM 03.38
  table below for data_coding 0, one septet per octet; an independent check of the encoder.)
  {"event": "throttled"}                     (a submit_sm answered with ESME_RTHROTTLED)
  {"event": "receipt", "message_id", "ok"}   (a delivery receipt sent back by deliver_sm)
  {"event": "unbound"}
Options: --throttle N answers the first N submit_sm with ESME_RTHROTTLED (0x58); --receipt-stat
sets the stat: word of delivery receipts (default DELIVRD). Message ids carry --id-prefix so a
restarted SMSC never repeats one.
"""

import argparse
import asyncio
import json
import sys
import time

import smpp34


# GSM 03.38 basic table by septet (0x1B is the escape) and the extension table after ESC.
GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
assert len(GSM_BASIC) == 128
GSM_EXTENSION = {
    0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\",
    0x3C: "[", 0x3D: "~", 0x3E: "]", 0x40: "|", 0x65: "€",
}


def decode_body(data_coding, esm_class, short_message):
    udh = b""
    body = short_message
    if esm_class & 0x40 and short_message:
        udh = short_message[: 1 + short_message[0]]
        body = short_message[len(udh):]
    if data_coding == 8:
        text = body.decode("utf-16-be", errors="replace")
    elif data_coding == 0:
        out, escaped = [], False
        for septet in body:
            if escaped:
                out.append(GSM_EXTENSION.get(septet, GSM_BASIC[septet & 0x7F]))
                escaped = False
            elif septet == 0x1B:
                escaped = True
            else:
                out.append(GSM_BASIC[septet & 0x7F])
        text = "".join(out)
    else:
        text = None
    return udh.hex(), text


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def receipt_text(message_id, stat):
    stamp = time.strftime("%y%m%d%H%M", time.gmtime())
    err = "000" if stat == "DELIVRD" else "001"
    dlvrd = "001" if stat == "DELIVRD" else "000"
    return (
        f"id:{message_id} sub:001 dlvrd:{dlvrd} submit date:{stamp} done date:{stamp} "
        f"stat:{stat} err:{err} text:"
    ).encode("ascii")


async def send_receipt(esme, event, message_id, stat):
    await asyncio.sleep(0.05)
    try:
        resp = await esme.deliver_sm(
            event.source_addr,
            receipt_text(message_id, stat),
            source_addr=event.destination_addr,
            esm_class=0x04,
        )
        emit({"event": "receipt", "message_id": message_id, "ok": resp.is_success})
    except Exception as exc:  # the test reads this line; the SMSC keeps running
        emit({"event": "receipt", "message_id": message_id, "ok": False, "error": str(exc)})


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--throttle", type=int, default=0)
    parser.add_argument("--receipt-stat", default="DELIVRD")
    parser.add_argument("--id-prefix", default="m")
    args = parser.parse_args()

    # SMPP 3.4 caps system_id at 16 octets with its NUL; rusmppc refuses a longer bind_resp.
    server = smpp34.Server(args.host, args.port, system_id="test-smsc")
    await server.start()
    emit({"event": "ready", "port": args.port})

    sessions = {}
    throttle_left = args.throttle
    counter = 0
    tasks = set()
    while True:
        event = await server.next()
        if isinstance(event, smpp34.Esme):
            sessions[event.session_id] = event
            emit({"event": "bind", "system_id": event.system_id})
        elif isinstance(event, smpp34.SubmitSmEvent):
            if throttle_left > 0:
                throttle_left -= 1
                event.reject(smpp34.ESME_RTHROTTLED)
                emit({"event": "throttled"})
                continue
            counter += 1
            message_id = f"{args.id_prefix}{counter}"
            event.accept(message_id)
            udh_hex, text = decode_body(event.data_coding, event.esm_class, event.short_message)
            emit(
                {
                    "event": "submit",
                    "message_id": message_id,
                    "destination_addr": event.destination_addr,
                    "source_addr": event.source_addr,
                    "data_coding": event.data_coding,
                    "esm_class": event.esm_class,
                    "registered_delivery": event.registered_delivery,
                    "short_message_hex": event.short_message.hex(),
                    "udh_hex": udh_hex,
                    "text": text,
                }
            )
            esme = sessions.get(event.session_id)
            if esme is not None and event.registered_delivery & 0x03:
                task = asyncio.create_task(send_receipt(esme, event, message_id, args.receipt_stat))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
        elif isinstance(event, smpp34.Unbound):
            sessions.pop(event.session_id, None)
            emit({"event": "unbound"})


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
