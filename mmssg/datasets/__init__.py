# Copyright (c) mmssg contributors. All rights reserved.
