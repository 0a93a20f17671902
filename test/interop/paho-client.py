#!/usr/bin/python3
"""Drive a broker with Eclipse Paho (python3-paho-mqtt) for test/interop/mqtt-paho.test.ts.

Usage: paho-client.py HOST PORT TOPIC_PREFIX [5|311|31]

A subscriber connects (MQTT 5 unless told otherwise) and subscribes to PREFIX/# at QoS 2; a publisher
connects and publishes one QoS 1 and one QoS 2 message, with MQTT 5 properties when the protocol has
them. Prints one JSON document with what both clients saw, and exits 0; exits 1 with a message on
stderr if anything fails or times out.
"""
import json
import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

TIMEOUT = 10.0
PROTOCOLS = {"5": mqtt.MQTTv5, "311": mqtt.MQTTv311, "31": mqtt.MQTTv31}


def wait(event, what):
    if not event.wait(TIMEOUT):
        raise TimeoutError(f"timed out waiting for {what}")


def connect(client_id, host, port, protocol, result, key):
    connected = threading.Event()
    client = mqtt.Client(client_id=client_id, protocol=protocol, clean_session=None if protocol == mqtt.MQTTv5 else True)

    def on_connect(_client, _userdata, flags, reason_code, properties=None):
        # MQTT 5 gives a ReasonCodes object, 3.1.x the CONNACK return code as an int
        result[key] = {
            "reasonCode": getattr(reason_code, "value", reason_code),
            "sessionPresent": bool(flags.get("session present")),
            "properties": properties.json() if properties is not None else {},
        }
        connected.set()

    client.on_connect = on_connect
    if protocol == mqtt.MQTTv5:
        client.connect(host, port, keepalive=30, clean_start=True)
    else:
        client.connect(host, port, keepalive=30)
    client.loop_start()
    wait(connected, f"CONNACK for {client_id}")
    return client


def main():
    host, port, prefix = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    protocol = PROTOCOLS[sys.argv[4] if len(sys.argv) > 4 else "5"]
    result = {"messages": []}
    got_all = threading.Event()
    subscribed = threading.Event()

    sub = connect(f"{prefix}-sub", host, port, protocol, result, "subConnack")

    def on_subscribe(_client, _userdata, _mid, granted, _properties=None):
        # MQTT 5: ReasonCodes objects; 3.1.x: the granted QoS levels as ints
        result["subscribeReasonCodes"] = [getattr(rc, "value", rc) for rc in granted]
        subscribed.set()

    def on_message(_client, _userdata, message):
        props = getattr(message, "properties", None)
        result["messages"].append({
            "topic": message.topic,
            "qos": message.qos,
            "payload": message.payload.decode("utf-8"),
            "userProperties": [list(p) for p in getattr(props, "UserProperty", [])],
            "contentType": getattr(props, "ContentType", None),
            "responseTopic": getattr(props, "ResponseTopic", None),
            "correlationData": getattr(props, "CorrelationData", b"").decode("utf-8"),
        })
        if len(result["messages"]) == 2:
            got_all.set()

    sub.on_subscribe = on_subscribe
    sub.on_message = on_message
    sub.subscribe(f"{prefix}/#", qos=2)
    wait(subscribed, "SUBACK")

    pub = connect(f"{prefix}-pub", host, port, protocol, result, "pubConnack")
    props = None
    if protocol == mqtt.MQTTv5:
        props = Properties(PacketTypes.PUBLISH)
        props.UserProperty = [("sensor", "paho"), ("unit", "C")]
        props.ContentType = "application/json"
        props.ResponseTopic = f"{prefix}-replies/1"
        props.CorrelationData = b"req-42"
    for qos in (1, 2):
        info = pub.publish(f"{prefix}/qos{qos}", payload=json.dumps({"qos": qos}), qos=qos, properties=props)
        # returns once PUBACK (QoS 1) or PUBCOMP (QoS 2) has arrived
        info.wait_for_publish(TIMEOUT)
        if not info.is_published():
            raise TimeoutError(f"QoS {qos} publish was not acknowledged")
    wait(got_all, "both messages at the subscriber")

    for client in (pub, sub):
        client.disconnect()
        client.loop_stop()
    result["messages"].sort(key=lambda m: m["topic"])
    print(json.dumps(result))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # report any failure to the calling test, never hang
        print(f"paho-client: {type(error).__name__}: {error}", file=sys.stderr)
        sys.exit(1)
