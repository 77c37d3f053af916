-- GB/T 28181 device ids end in a 7-digit serial; a sequence keeps them unique (random serials collided at 5,900 cameras).
CREATE SEQUENCE camera_device_serial MINVALUE 1 MAXVALUE 9999999 CYCLE;
