import time, numpy as np, tensorflow as tf
t=time.time()
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from training import train, recipe_names
import keras_zoo
print(recipe_names())
print([e.name for e in keras_zoo.models.entries() if e.task=="generative"])
r = train("gan", strategy="mirrored", epochs=1, out="/tmp/dx/ganm", verbose=0)
print(r.history, time.time()-t)
r = train("dcgan", strategy="mirrored", epochs=1, out="/tmp/dx/dcganm", verbose=0)
print(r.history, time.time()-t)
